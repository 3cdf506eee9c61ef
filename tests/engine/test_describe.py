"""anima-sim --describe: valid JSON naming every column (in trace order, with unit, scale, range and doc), every
parameter with the value this run uses, and every stimulus."""
import json

from conftest import rows, run


def describe(sim, *args):
    r = run(sim, "--describe", *args)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return json.loads(r.stdout)


def test_describe_is_the_trace_header_with_units(sim):
    d = describe(sim)
    header = rows(run(sim, "--ticks", 0).stdout)[0].split(",")
    assert [c["name"] for c in d["columns"]] == header
    for c in d["columns"][1:]:
        assert set(c) >= {"name", "unit", "scale", "range", "doc"} and c["doc"], c
        lo, hi = c["range"]
        assert lo <= hi
    temp = next(c for c in d["columns"] if c["name"] == "body.temp")
    assert temp["scale"] == {"divide": 100, "add": 34, "unit": "C"}  # 300 is 37.00 C
    stage = next(c for c in d["columns"] if c["name"] == "sleep.stage")
    assert stage["values"][:2] == ["wake", "n1"] or len(stage["values"]) == 5
    assert d["catalogue"] == run(sim, "--version").stdout.split("catalogue=")[1].strip()


def test_parameters_carry_this_runs_values(sim):
    base = {p["name"]: p for p in describe(sim)["parameters"]}
    assert base, "the organism has parameters"
    for p in base.values():
        assert set(p) >= {"name", "value", "range", "unit", "doc"}
        assert p["range"][0] <= p["value"] <= p["range"][1]
    dawn = base["env.dawn"]
    moved = {p["name"]: p for p in describe(sim, "--set", "env.dawn=18000")["parameters"]}
    assert moved["env.dawn"]["value"] == 18000 and moved["env.dawn"]["catalogue_value"] == dawn["value"]


def test_stimuli(sim):
    st = {s["name"]: s for s in describe(sim)["stimuli"]}
    assert st["meal"]["range"] == [0, 1000] and st["meal"]["doc"]
    assert st["light"]["auto"] == -1
