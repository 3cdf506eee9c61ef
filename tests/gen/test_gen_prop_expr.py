"""Property: random well-formed rule expressions give the same values in the reference interpreter and in the
compiled C, and what the range analysis accepts never overflows at run time (the C is built with UBSan's
integer checks, aborting on the first report).

Each Hypothesis example is one catalogue of many expressions (one compile per example). The expressions read
inputs with random ranges, fed by a source subsystem that visits its ranges' extremes and random values.
An expression the range analysis refuses is dropped (its diagnostics must name its rule); enough must remain."""
import os
import re

from hypothesis import HealthCheck, Phase, given, settings, strategies as st

from animatest import compile_sim, first_difference, gen, interp_trace, render, sim_trace

I32 = (1 << 31) - 1
RANGES = [(0, 1), (0, 1000), (-1000, 1000), (-I32 - 1, I32), (5, 5), (-100000, -3), (0, 86399), (-7, 3)]
LITERALS = [0, 1, -1, 2, 3, 7, 10, 1000, 65536, 86400, I32, -I32 - 1, 1 << 40, -(1 << 40), 999999937]
UBSAN = ["-fsanitize=signed-integer-overflow,shift,integer-divide-by-zero,bounds", "-fno-sanitize-recover=all"]
NIN = 6
# Shrinking a failure costs a compile per step (many minutes): off unless ANIMA_SHRINK=1 asks for it.
PHASES = list(Phase) if os.environ.get("ANIMA_SHRINK") else [Phase.explicit, Phase.reuse, Phase.generate]
TICKS = 150

ranges = st.one_of(st.sampled_from(RANGES),
                   st.tuples(st.integers(-I32 - 1, I32), st.integers(0, 1 << 20)).map(
                       lambda t: (t[0], min(I32, t[0] + t[1]))))


def literal():
    return st.one_of(st.sampled_from(LITERALS), st.integers(-2000, 2000)).map(str)


def leaf():
    return st.one_of(literal(), st.sampled_from(["i%d" % k for k in range(NIN)]),
                     st.sampled_from(["tod", "day", "env_mode", "every", "k0", "k1"]))


def extend(sub):
    pos = st.integers(1, 100000).map(str)
    denom = st.one_of(sub.map(lambda d: "max(%s, 1)" % d), sub.map(lambda d: "min(%s, -1)" % d),
                      sub.map(lambda d: "(abs(%s) + 1)" % d), sub)
    points = st.lists(st.tuples(st.integers(-5000, 5000), st.integers(-100000, 100000)), min_size=2, max_size=5,
                      unique_by=lambda p: p[0]).map(
        lambda ps: ", ".join("[%d, %d]" % p for p in sorted(ps)))
    return st.one_of(
        st.tuples(sub, st.sampled_from(["+", "-", "*", "<", "<=", ">", ">=", "==", "!=", "&&", "||"]), sub).map(
            lambda t: "(%s %s %s)" % t),
        st.tuples(sub, st.sampled_from(["/", "%"]), denom).map(lambda t: "(%s %s %s)" % t),
        sub.map(lambda a: "(-%s)" % a), sub.map(lambda a: "(!%s)" % a),
        st.tuples(st.sampled_from(["min", "max"]), st.lists(sub, min_size=2, max_size=4)).map(
            lambda t: "%s(%s)" % (t[0], ", ".join(t[1]))),
        st.tuples(sub, sub, sub).map(lambda t: "clamp(%s, %s, %s)" % t),
        sub.map(lambda a: "abs(%s)" % a),
        st.tuples(sub, sub, sub).map(lambda t: "select(%s, %s, %s)" % t),
        st.tuples(sub, sub, pos).map(lambda t: "approach(%s, %s, %s)" % t),
        st.tuples(sub, pos).map(lambda t: "decay(%s, %s)" % t),
        st.tuples(sub, points).map(lambda t: "curve(%s, %s)" % t),
        st.tuples(sub, st.integers(1, 1 << 20), st.integers(1, 8)).map(lambda t: "hill(%s, %d, %d)" % t),
        st.tuples(sub, st.integers(-(1 << 20), 1 << 20), st.integers(1, 1 << 16)).map(
            lambda t: "sigmoid(%s, %d, %d)" % t),
        st.tuples(st.sampled_from(["sine", "cosine"]), sub, st.integers(2, 1 << 24)).map(
            lambda t: "%s(%s, %d)" % t),
        sub.map(lambda a: "noise(clamp(%s, 0, 100000))" % a),
        sub.map(lambda a: "chance(%s)" % a),
    )


expressions = st.recursive(leaf(), extend, max_leaves=12)

SOURCE = """anima: 1
name: prop
stimuli:
  poke: {range: [-1000, 1000], doc: "poke"}
groups:
  - name: g
    doc: G.
    subsystems:
      - name: src
        doc: Visits its ranges' extremes and random values.
        state:
%(src_state)s
        rules:
%(src_rules)s
      - name: p
        doc: The expressions.
        every: %(every)d
        inputs:
%(inputs)s
        params:
          k0: {value: %(k0)d, range: [%(k0lo)d, %(k0hi)d], unit: u, doc: d}
          k1: {value: -3, unit: u, doc: d}
        state:
%(state)s
        on:
          poke: {%(handler)s}
        rules:
%(rules)s
"""


def catalogue(in_ranges, exprs, every, k0, delays):
    src_state, src_rules, inputs = [], [], []
    for k, (lo, hi) in enumerate(in_ranges):
        src_state.append("          v%d: {range: [%d, %d], init: %d, unit: u, doc: d}" % (k, lo, hi, lo))
        span = hi - lo + 1
        src_rules.append('          v%d: "select(chance(150), %d, select(chance(150), %d, %d + abs(noise(2147483647)) %% %d))"'
                         % (k, lo, hi, lo, span))
        inputs.append("          i%d: {from: src.v%d, delay: %d}" % (k, k, delays[k]))
    state, rules = [], []
    parts = [("a", "(E) % 1000000"), ("b", "(E) / 1000000 % 1000000"), ("c", "(E) / 1000000000000")]
    for n, e in enumerate(exprs):
        for suffix, fmt in parts:
            state.append("          e%d%s: {range: [-2147483648, 2147483647], init: 0, unit: u, doc: d}" % (n, suffix))
            rules.append('          e%d%s: "%s"' % (n, suffix, fmt.replace("E", e)))
    handler = 'e0a: "stimulus * 3 + i0 % 1000"' if exprs else ""
    return SOURCE % dict(src_state="\n".join(src_state), src_rules="\n".join(src_rules), inputs="\n".join(inputs),
                         every=every, k0=k0[0], k0lo=k0[0], k0hi=k0[1], state="\n".join(state),
                         rules="\n".join(rules), handler=handler)


RULE_RE = re.compile(r"rule 'p\.e(\d+)[abc]'")
counts = {"examples": 0, "kept": 0, "dropped": 0}


def accepted(path, text_of, exprs, args):
    """Drops the expressions the checker refuses; returns (catalogue text, kept expressions)."""
    exprs = list(exprs)
    for _ in range(3):
        text = text_of(exprs)
        with open(path, "w") as f:
            f.write(text)
        r = gen("check", "--no-warnings", path)
        if r.returncode == 0:
            return text, exprs
        bad = set()
        for line in r.stderr.splitlines():
            m = RULE_RE.search(line)
            assert m and ": error: " in line, "an error outside the generated expressions:\n%s\n%s" % (line, text)
            bad.add(int(m.group(1)))
        counts["dropped"] += len(bad)
        exprs = [e for n, e in enumerate(exprs) if n not in bad]
    raise AssertionError("the checker keeps refusing:\n" + r.stderr)


@settings(max_examples=8, derandomize=True, deadline=None, database=None, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(in_ranges=st.lists(ranges, min_size=NIN, max_size=NIN),
       exprs=st.lists(expressions, min_size=30, max_size=40),
       every=st.sampled_from([1, 1, 2, 5]),
       k0=ranges.map(lambda r: (r[0], r[1])),
       delays=st.lists(st.sampled_from([0, 0, 1, 3, 40]), min_size=NIN, max_size=NIN),
       seed=st.integers(0, (1 << 64) - 1))
def test_random_expressions_agree(tmp_path_factory, in_ranges, exprs, every, k0, delays, seed):
    d = tmp_path_factory.mktemp("expr")
    path = str(d / "prop.yaml")
    text, kept = accepted(path, lambda es: catalogue(in_ranges, es, every, k0, delays), exprs, None)
    counts["examples"] += 1
    counts["kept"] += len(kept)
    gendir = render(path, str(d / "gen"))
    exe = compile_sim(gendir, str(d / "anima-sim"), extra=UBSAN)
    for env, stimuli in (("normal", ["7:poke=-1000", "7:poke=999"]), ("light", [])):
        kw = dict(seed=seed, ticks=TICKS, every=1, env=env, stimuli=stimuli)
        sim = sim_trace(exe, **kw)
        ref = interp_trace(path, **kw)
        assert sim == ref, "%s\n\ncatalogue:\n%s" % (first_difference(sim, ref), text)


def test_enough_expressions_were_kept():
    """Runs after the property (file order): most generated expressions must pass the range analysis, or the
    property compares little."""
    if counts["examples"] == 0:
        return  # the property was deselected
    assert counts["kept"] >= 15 * counts["examples"], counts
