"""The committed catalogue reference (docs/reference) matches subsystems.yaml: regenerate with tools/regen-docs."""
import filecmp
import os
import subprocess

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
