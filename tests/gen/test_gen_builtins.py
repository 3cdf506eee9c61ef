"""The built-ins are declared once (gen/anima_gen/builtins.py): the language reference shows that declaration."""
import os

from animatest import ROOT, gen


def test_catalogue_doc_lists_the_declared_functions():
    r = gen("functions")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(ROOT, "docs", "catalogue.md"), encoding="utf-8") as f:
        text = f.read()
    begin, end = "<!-- functions: generated, do not edit -->\n", "<!-- end functions -->\n"
    assert begin in text and end in text, "docs/catalogue.md lost its generated functions table"
    shown = text.split(begin, 1)[1].split(end, 1)[0]
    assert shown == "| function | meaning |\n|---|---|\n" + r.stdout, \
        "docs/catalogue.md's functions table is stale: run tools/regen-docs"
    for name in ("hill", "approach", "curve", "noise", "chance", "cosine"):
        assert "| `%s(" % name in shown


def test_catalogue_hash_from_parts_is_the_generators():
    """anima-sim combines the hash from the parts the generated files hold (anima_gen_catalogue_hash); it must be
    the value the generator computed (the render stamp), or checkpoints would be refused or wrongly accepted."""
    import re
    import subprocess
    import pytest
    sim, build = os.environ.get("ANIMA_SIM"), os.environ.get("ANIMA_BUILD")
    if not sim or not build:
        pytest.skip("needs the configured build (ANIMA_SIM, ANIMA_BUILD), as ctest sets them")
    out = subprocess.run([sim, "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"catalogue=([0-9a-f]{16})", out)
    assert m, out
    with open(os.path.join(build, "gen", "render.stamp")) as f:
        assert f.read().strip() == m.group(1)
