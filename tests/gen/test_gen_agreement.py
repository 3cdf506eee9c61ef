"""The reference interpreter (`anima-gen run`) and the compiled C (`anima-sim`) write identical traces, rows and
`#` lines alike, for several catalogues, seeds, environments and stimuli."""
import concurrent.futures
import os
import re

import pytest

from animatest import CATALOGUES, first_difference, interp_trace, sim_trace


def cat(name):
    return os.path.join(CATALOGUES, name + ".yaml")


STRESS10 = ["%d:stress=1000" % t for t in range(5000, 5010)]

# (catalogue, run options); ticks are kept modest: the interpreter runs a few ten thousand ticks a second.
CASES = [
    ("small", dict(seed=1, ticks=86400, every=60)),
    ("small", dict(seed=7, ticks=30000, every=1, env="dark",
                   stimuli=["0:meal=1000", "0:light=500", "120:light=auto", "7200:meal=300", "7200:food_supply=0",
                            "7201:meal=1000"])),
    ("small", dict(seed=123456789012345, ticks=40000, every=97, env="light", stimuli=STRESS10)),
    ("mixed", dict(seed=1, ticks=40000, every=37)),
    ("mixed", dict(seed=99, ticks=20000, every=1, env="dark",
                   stimuli=["0:meal=500", "100:stress=900", "100:light=auto", "200:chill=-500", "200:chill=500",
                            "5000:light=300", "4000:meal=1000", "19999:stress=1", "30000:meal=5"])),
    ("mixed", dict(seed=18446744073709551615, ticks=25000, every=13, env="light",
                   stimuli=["3:chill=500", "3:chill=-500", "60:stress=100", "61:meal=1000"])),
    ("mixed", dict(seed=5, individual=12345678901, ticks=30000, every=300)),
    ("mixed", dict(seed=6, individual=0, ticks=30000, every=300, env="dark")),
    ("death", dict(seed=1, ticks=20000, every=1)),
    ("death", dict(seed=2, ticks=20000, every=7)),
    ("death", dict(seed=4, ticks=20000, every=100)),
    ("death", dict(seed=1, ticks=20000, every=50, stimuli=["100:poison=400", "2000:poison=700"])),
    ("death", dict(seed=5, ticks=5000, every=10, stimuli=["0:poison=1000"])),
    ("death", dict(seed=9, ticks=15000, every=500, stimuli=["%d:feed=1000" % t for t in range(0, 15000, 2500)])),
    ("extremes", dict(seed=3, ticks=20000, every=1, stimuli=["10:kick=2147483647", "10:kick=-2147483647"])),
    ("extremes", dict(seed=11, ticks=88000, every=600, stimuli=["600:kick=-5"])),
]


def case_id(case):
    name, kw = case
    who = "-individual%d" % kw["individual"] if "individual" in kw else ""
    return "%s-seed%d%s-%s-every%d" % (name, kw["seed"], who, kw.get("env", "normal"), kw["every"])


@pytest.fixture(scope="module")
def traces(build):
    """Both traces of every case, the interpreter runs two at a time."""
    exes = {name: build(cat(name)) for name in sorted({c[0] for c in CASES})}

    def one(case):
        name, kw = case
        return sim_trace(exes[name], **kw), interp_trace(cat(name), **kw)
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(range(len(CASES)), pool.map(one, CASES)))


@pytest.mark.parametrize("k", range(len(CASES)), ids=[case_id(c) for c in CASES])
def test_interpreter_and_c_agree(traces, k):
    sim, ref = traces[k]
    assert sim and sim[0].startswith("tick,")
    assert sim[-1].startswith("# anima: end tick=")
    assert sim == ref, first_difference(sim, ref)


def test_cases_reach_what_they_are_for(traces):
    """The cases are not vacuous: some die (of each cause), some live to the end, stimuli show up."""
    ends = [traces[k][0][-1] for k in range(len(CASES))]
    assert any("reason=death" in e for e in ends) and any("reason=ticks" in e for e in ends)
    causes = {line.split("cause=")[1] for k in range(len(CASES)) for line in traces[k][0]
              if line.startswith("# anima: death ")}
    assert {"starvation", "starved", "poisoned", "bad_luck"} <= causes, causes
    assert any(line.startswith("# anima: stimulus 0:") for k in range(len(CASES)) for line in traces[k][0])


def test_dead_at_tick_zero_and_no_death_section(tmp_path, build):
    """Edge cases written here: a catalogue whose organism is dead at tick 0, one without 'death'."""
    body = """anima: 1
name: edge
stimuli:
  s: {range: [0, 10], doc: "s"}
%s
groups:
  - name: g
    doc: G.
    subsystems:
      - name: life
        doc: L.
        every: 2
        state:
          alive: {range: [0, 1], init: %d, unit: bool, doc: "alive"}
          cause: {range: [0, 1], init: 1, unit: enum, doc: "cause", values: [none, born_dead]}
        on:
          s: {alive: "stimulus == 0"}
        rules:
          alive: "alive + cause * 0"
          cause: "cause"
"""
    for death, init, stimuli in (("death: {alive: life.alive, cause: life.cause}", 0, []),
                                 ("death: {alive: life.alive, cause: life.cause}", 1, ["0:s=3"]),
                                 ("death: {alive: life.alive, cause: life.cause}", 1, ["5:s=3"]),
                                 ("", 0, ["0:s=0", "3:s=4"])):
        p = tmp_path / ("edge%d%s.yaml" % (init, len(death)))
        p.write_text(body % (death, init))
        exe = build(str(p))
        for kw in (dict(seed=1, ticks=10, every=1, stimuli=stimuli), dict(seed=2, ticks=10, every=4, stimuli=stimuli)):
            sim, ref = sim_trace(exe, **kw), interp_trace(str(p), **kw)
            assert sim == ref, "%s %s: %s" % (death, stimuli, first_difference(sim, ref))


def test_shared_shapes_agree_with_the_interpreter(build, tmp_path):
    """A synthetic catalogue has many subsystems of one form: they share step functions (anima_gen_shapes.c)
    with per-subsystem constants. That path must compute exactly what the interpreter does."""
    from animatest import gen
    path = str(tmp_path / "synth.yaml")
    r = gen("synth", 120, "-o", path)
    assert r.returncode == 0, r.stderr
    exe = build(path)
    with open(os.path.join(os.path.dirname(exe), "gen", "anima_gen_shapes.c")) as f:
        assert re.search(r"/\* Shape [0-9a-f]{12}: \d+ subsystems", f.read())  # the shared path is really taken
    kw = dict(seed=5, ticks=8000, every=7, stimuli=["0:meal=800", "3000:stress=900", "3001:meal=200"])
    sim, ref = sim_trace(exe, **kw), interp_trace(path, **kw)
    assert sim == ref, first_difference(sim, ref)


def test_gathered_inputs_agree_with_the_interpreter(build):
    """Subsystems of one form whose inputs are fetched in every way there is (a state slot, delay rings of both
    kinds, transforms with and without tables, rising or not, reading a parameter) share one step function,
    which reads plain ones in place and the others from gather functions (tests/catalogues/gathered.yaml).
    That path must compute exactly what the interpreter does, stimuli included."""
    path = cat("gathered")
    exe = build(path)
    with open(os.path.join(os.path.dirname(exe), "gen", "anima_gen_shapes.c")) as f:
        shapes = f.read()
    assert re.search(r"/\* Shape [0-9a-f]{12}: 10 subsystems", shapes)  # every sink shares it
    assert len(re.findall(r"^void anima_gather_", shapes, re.M)) >= 16  # declared and defined: >= 8 forms
    with open(os.path.join(os.path.dirname(exe), "gen", "anima_gen_runs.c")) as f:
        gather_rows = "".join(re.findall(r"^static const int32_t GO_.*?^};", f.read(), re.M | re.S))
    assert "/* k0 */" not in gather_rows and "/* k1 */" in gather_rows  # k0's inputs are all plain
    for kw in [dict(seed=3, ticks=6000, every=1, stimuli=["100:kick=900", "2000:kick=0", "2003:kick=1000"]),
               dict(seed=11, ticks=9000, every=7, env="dark", stimuli=["1:kick=500"])]:
        sim, ref = sim_trace(exe, **kw), interp_trace(path, **kw)
        assert sim == ref, first_difference(sim, ref)


def test_trait_draw_is_a_sound_distribution():
    """The trait draw (gen/anima_gen/traits.py; anima_sim_individual does the same, and the 'individual' cases
    above hold C to it through the traces): e^y within 0.5 % (or 3 units of 2^-20) over the exponent range, deviates of mean 0 and
    SD 1000."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "gen"))
    from anima_gen import traits
    # exp in Q20 stays within 0.5 % of e^y (or its resolution) over the whole exponent range
    import math
    for y in range(-traits.EXP_LIMIT, traits.EXP_LIMIT + 1, 37):
        exact = math.exp(y / 1000) * traits.Q
        assert abs(traits.exp_q20(y) - exact) <= max(5e-3 * exact, 3), y
    # the deviate has mean ~0 and SD ~1000 over individuals
    zs = [traits.deviate(i, traits.key("circadian.step")) for i in range(4000)]
    m = sum(zs) / len(zs)
    sd = (sum((z - m) ** 2 for z in zs) / len(zs)) ** 0.5
    assert abs(m) < 50 and 950 < sd < 1050, (m, sd)
