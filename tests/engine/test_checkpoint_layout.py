"""Which checkpoints a build loads (core/checkpoint.c, docs/options.md "Checkpoints"): one of the same layout,
even after a parameter edit of the catalogue (its state and parameter values go on), but not one of another
layout. Three builds of tests/catalogues/small.yaml: as it is, a parameter value edited, a variable added."""
import os
import sys

import pytest

from conftest import ROOT, rows, run

sys.path.insert(0, os.path.join(ROOT, "tests", "gen"))
import animatest  # noqa: E402


def build(tmp_path, name, edit):
    with open(os.path.join(ROOT, "tests", "catalogues", "small.yaml")) as f:
        text = f.read()
    cat = tmp_path / (name + ".yaml")
    cat.write_text(edit(text))
    gendir = tmp_path / (name + "-gen")
    animatest.render(str(cat), str(gendir))
    return animatest.compile_sim(str(gendir), str(tmp_path / (name + "-sim")))


@pytest.fixture(scope="module")
def sims(tmp_path_factory):
    d = tmp_path_factory.mktemp("layouts")
    dawn = "dawn: {value: 25200,"
    var = '          food: {range: [0, 1000], init: 1000, unit: "1/1000", doc: "food availability"}\n'

    def param_edit(t):
        assert dawn in t
        return t.replace(dawn, "dawn: {value: 21600,")

    def layout_edit(t):  # one more state variable (set by meals)
        handler = 'food_supply: {food: "stimulus"}'
        assert var in t and handler in t
        t = t.replace(var, var + '          spare: {range: [0, 9], init: 0, unit: u, doc: "a new variable"}\n', 1)
        return t.replace(handler, handler + '\n          meal: {spare: "1"}', 1)
    return {"same": build(d, "same", lambda t: t), "param": build(d, "param", param_edit),
            "layout": build(d, "layout", layout_edit)}


def test_a_parameter_edit_keeps_old_checkpoints(sims, tmp_path):
    ck = tmp_path / "ck"
    assert run(sims["same"], "--seed", 3, "--ticks", 43200, "--save", ck, "--trace", os.devnull).returncode == 0
    cont = run(sims["same"], "--resume", ck, "--ticks", 43200, "--every", 600)
    assert cont.returncode == 0 and cont.stderr == ""
    edited = run(sims["param"], "--resume", ck, "--ticks", 43200, "--every", 600)
    assert edited.returncode == 0
    assert edited.stderr == ("anima-sim: --resume %s: taken with another catalogue of the same layout: its state "
                             "and parameter values go on under this build's rules\n" % ck)
    # the checkpoint's parameter values (dawn 07:00) go on, not the edited catalogue's (06:00): the same rows
    assert rows(edited.stdout) == rows(cont.stdout)
    # and a fresh run of the edited catalogue is another run
    assert rows(run(sims["param"], "--seed", 3, "--ticks", 86400, "--every", 600).stdout) != \
        rows(run(sims["same"], "--seed", 3, "--ticks", 86400, "--every", 600).stdout)


def test_another_layout_is_another_catalogue(sims, tmp_path):
    ck = tmp_path / "ck"
    assert run(sims["same"], "--ticks", 600, "--save", ck, "--trace", os.devnull).returncode == 0
    r = run(sims["layout"], "--resume", ck, "--ticks", 10)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == "anima-sim: --resume %s: checkpoint was taken with another catalogue\n" % ck
