"""Individuals: parameters declared with `trait:` are drawn once, at tick 0, from the individual's number.

The draw is integer arithmetic on a counter-based stream keyed by (individual, the parameter's name, k),
apart from the noise stream (keyed by seed and tick), so `--individual N` keeps the person while `--seed`
varies the noise. The key is the name ("subsystem.param", FNV-1a 64), not the parameter's position, so
adding, removing or moving other parameters in the catalogue leaves everyone's drawn traits as they were.
core/engine.c (anima_sim_individual) does exactly the same; the generator tests hold the two to each other.

- z: the sum of 12 uniform integers 0..999 less 5994 (Irwin-Hall), a near-normal deviate in 1/1000 of a
  standard deviation (mean 0, SD 1000, within +-5994).
- normal: value + sd * z / 1000 (sd in the parameter's unit).
- lognormal: value * e^(sd * z / 10^6) (sd in 1/1000 of the natural log), e^y by a 4-term Taylor series in
  Q20 on y/16 squared four times; the exponent is limited to +-8.
- the result is clamped to the parameter's declared range.
"""
from .expr import MASK64, mix64

DISTS = {"normal": 1, "lognormal": 2}
Q = 1 << 20
EXP_LIMIT = 8000  # thousandths of the natural log


def cdiv(a, b):
    """C99 integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def key(name):
    """FNV-1a 64 of the parameter's full name: the trait stream's key (generated as anima_param_traits[].key)."""
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def deviate(individual, name_key):
    stream = mix64((mix64((individual ^ 0x5EED7A175EED7A17) & MASK64) ^ name_key) & MASK64)
    total = 0
    for k in range(12):
        h = mix64((stream + k * 0xD6E8FEB86659FD93) & MASK64) >> 32
        total += (h * 1000) >> 32
    return total - 5994


def exp_q20(y):
    """e^(y/1000) in Q20 for |y| <= EXP_LIMIT."""
    t = cdiv(y * Q, 16000)
    t2 = cdiv(t * t, Q)
    t3 = cdiv(t2 * t, Q)
    t4 = cdiv(t2 * t2, Q)
    e = Q + t + cdiv(t2, 2) + cdiv(t3, 6) + cdiv(t4, 24)
    for _ in range(4):
        e = cdiv(e * e, Q)
    return e


def draw(dist, sd, value, lo, hi, individual, name_key):
    z = deviate(individual, name_key)
    if dist == DISTS["normal"]:
        v = value + cdiv(sd * z, 1000)
    else:
        y = max(-EXP_LIMIT, min(EXP_LIMIT, cdiv(sd * z, 1000)))
        v = cdiv(value * exp_q20(y), Q)
    return max(lo, min(hi, v))


def individual_params(cat, individual):
    """{Param: value} for the individual (parameters without a trait keep their value)."""
    out = {}
    for p in cat.params:
        out[p] = draw(p.dist, p.sd, p.value, p.lo, p.hi, individual, key(p.full)) if p.dist else p.value
    return out
