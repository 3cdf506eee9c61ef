"""--set on every catalogue parameter: both ends of its declared range run (the range analysis proved the rules
safe there), and each changes the run, so no parameter value has been folded into the generated code."""
import json

import pytest

from conftest import run


def parameters(sim):
    return json.loads(run(sim, "--describe").stdout)["parameters"]


def test_every_parameter_at_both_ends_of_its_range(sim):
    params = parameters(sim)
    assert params
    folded = []
    for p in params:
        lo, hi = p["range"]
        outs = []
        for v in (lo, hi):
            r = run(sim, "--ticks", 172800, "--every", 600, "--set", "%s=%d" % (p["name"], v))
            assert r.returncode == 0 and r.stderr == "", (p["name"], v, r.stderr)
            outs.append(r.stdout)
        if lo != hi and outs[0] == outs[1]:
            folded.append(p["name"])
    assert not folded, "these parameters change nothing at the ends of their range: %s" % folded


@pytest.mark.parametrize("edge", ["lo", "hi"])
def test_one_past_the_range_is_refused_naming_it(sim, edge):
    p = parameters(sim)[0]
    lo, hi = p["range"]
    v = lo - 1 if edge == "lo" else hi + 1
    r = run(sim, "--set", "%s=%d" % (p["name"], v))
    assert r.returncode == 2
    assert r.stderr == "anima-sim: --set '%s=%d': value must be a whole number in the declared range %d..%d\n" % (
        p["name"], v, lo, hi)
