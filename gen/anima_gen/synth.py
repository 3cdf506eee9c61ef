"""Synthetic catalogues of any size with the organism's coupling density, to keep the generator, the build
and the engine honest at the seed project's scale. Deterministic for a given N and seed; linear in N."""
import random

GROUP_SIZE = 40
RATES = [(1, 0.05), (5, 0.15), (10, 0.30), (30, 0.25), (60, 0.25)]  # update period, share of subsystems


def _rate(rng):
    x = rng.random()
    for every, share in RATES:
        if x < share:
            return every
        x -= share
    return RATES[-1][0]


def synth(n, path, seed=1):
    rng = random.Random(seed)
    names = ["s%d" % i for i in range(n)]
    nvars = [rng.choice((2, 2, 3)) for _ in range(n)]
    ngroups = (n + GROUP_SIZE - 1) // GROUP_SIZE
    out = ["# Synthetic catalogue: %d subsystems (anima-gen synth %d --seed %d)." % (n, n, seed),
           "anima: 1", "name: synth-%d" % n,
           "stimuli:",
           "  meal: {range: [0, 1000], doc: \"a meal\"}",
           "  stress: {range: [0, 1000], doc: \"a stressor\"}",
           "groups:"]
    for g in range(ngroups):
        lo, hi = g * GROUP_SIZE, min(n, (g + 1) * GROUP_SIZE)
        out += ["  - name: g%d" % g, "    doc: synthetic group %d" % g, "    subsystems:"]
        for i in range(lo, hi):
            every = _rate(rng)
            out += ["      - name: %s" % names[i], "        doc: synthetic subsystem %d" % i,
                    "        every: %d" % every, "        state:"]
            for k in range(nvars[i]):
                out.append("          v%d: {range: [0, 1000], init: %d, unit: \"1/1000\", doc: \"level %d\"}"
                           % (k, rng.randrange(0, 1001), k))
            out += ["        params:",
                    "          gain: {value: %d, range: [0, 100], unit: \"1/100\", doc: \"input gain\"}" % rng.randrange(10, 90),
                    "          base: {value: %d, range: [0, 1000], unit: \"1/1000\", doc: \"resting level\"}" % rng.randrange(100, 900)]
            # About 4 couplings a subsystem, as in the organism (514 for 129 subsystems), mostly within the group
            # (modules are modular), some far.
            k_in = rng.choice((3, 4, 4, 5)) if n > 1 else 0
            inputs = []
            for j in range(k_in):
                if rng.random() < 0.8 and hi - lo > 1:
                    src = rng.randrange(lo, hi)
                else:
                    src = rng.randrange(0, n)
                if src == i:
                    src = (i + 1) % n
                if src == i:
                    continue
                var = rng.randrange(nvars[src])
                spec = "{from: %s.v%d" % (names[src], var)
                if rng.random() < 0.05:
                    spec += ", delay: %d" % rng.choice((30, 300, 3600))
                if rng.random() < 0.2:
                    spec += ", transform: \"hill(x, %d, 2)\"" % rng.randrange(100, 900)
                inputs.append(("i%d" % j, spec + "}"))
            if inputs:
                out.append("        inputs:")
                out += ["          %s: %s" % (nm, spec) for nm, spec in inputs]
            if i % 97 == 0:
                out += ["        on:", "          meal: {v0: \"v0 + stimulus / 4\"}"]
            out.append("        rules:")
            drive = " + ".join("%s * gain / 400" % nm for nm, _ in inputs) or "0"
            out.append("          v0: \"approach(v0, clamp(base + %s - v1 / 4 + noise(3), 0, 1000), %d)\""
                       % (drive, rng.choice((300, 900, 3600))))
            feedback = " + v2 / 64" if nvars[i] > 2 else ""
            out.append("          v1: \"decay(v1 + select(v0 > base, (v0 - base) / 16, 0)%s, %d)\"" % (feedback, rng.choice((600, 1800, 7200))))
            if nvars[i] > 2:
                out.append("          v2: \"approach(v2, (v0 + v1) / 2, 1200)\"")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
