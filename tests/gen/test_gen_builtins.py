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
