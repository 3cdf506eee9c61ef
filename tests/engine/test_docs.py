"""The committed catalogue reference (docs/reference) matches subsystems.yaml: regenerate with tools/regen-docs;
the organism's size stated in README.md and docs/model.md is the catalogue's."""
import filecmp
import os
import re
import subprocess

import pytest

from conftest import ROOT


def test_reference_is_up_to_date(tmp_path):
    py = os.environ.get("ANIMA_PYTHON", "/usr/bin/python3")
    r = subprocess.run([py, os.path.join(ROOT, "gen", "anima-gen"), "docs", os.path.join(ROOT, "subsystems.yaml"),
                        "-o", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    committed = os.path.join(ROOT, "docs", "reference")
    names = sorted(os.listdir(tmp_path))
    assert sorted(os.listdir(committed)) == names
    stale = [n for n in names if not filecmp.cmp(os.path.join(committed, n), tmp_path / n, shallow=False)]
    assert not stale, "docs/reference is stale (%s): run tools/regen-docs" % ", ".join(stale)


def test_counts_in_readme_and_model_doc(sim):
    """README.md and docs/model.md state the organism's size; they must say what `anima-sim --catalogue-info`
    says (they said 129 subsystems for a while after the brain network had made it 149)."""
    catalogue = os.environ.get("ANIMA_CATALOGUE", os.path.join(ROOT, "subsystems.yaml"))
    if os.path.realpath(catalogue) != os.path.realpath(os.path.join(ROOT, "subsystems.yaml")):
        pytest.skip("anima-sim is built from another catalogue")
    line = subprocess.run([sim, "--catalogue-info"], capture_output=True, text=True, check=True).stdout
    info = dict(kv.split("=") for kv in line.split())
    readme = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"runs (\d+)\s+coupled physiological subsystems", readme)
    assert m and m.group(1) == info["subsystems"], "README.md: %s subsystems, anima-sim: %s" % (
        m and m.group(1), info["subsystems"])
    model = open(os.path.join(ROOT, "docs", "model.md")).read()
    m = re.search(r"(\d+) subsystems in (\d+) groups, (\d+) state variables and (\d+) couplings", model)
    want = (info["subsystems"], info["groups"], info["variables"], info["couplings"])
    assert m and m.groups() == want, "docs/model.md: %s, anima-sim --catalogue-info: %s" % (m and m.groups(), want)
