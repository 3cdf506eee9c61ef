"""docs/validation.md is current and no measure in it has turned red.

Regenerates the table with tools/validate (seeds 1-10, about 100 s of runs on two cores) into a temporary file
and compares: a measure that is red now but was not red in the committed page fails the test first (the
model got worse), then any other difference (the page is stale: run tools/validate and commit it)."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PAGE = os.path.join(ROOT, "docs", "validation.md")


def statuses(text):
    out = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 9 and cells[1] and cells[1] not in ("group", "---"):
            out[(cells[1], cells[2])] = re.sub(r"[^a-z]", "", cells[9])
    return out


def test_validation_table(tmp_path):
    fresh = tmp_path / "validation.md"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "validate"), "-o", str(fresh)],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    new = fresh.read_text()
    old = open(PAGE).read()
    before, now = statuses(old), statuses(new)
    assert len(now) >= 60, "only %d measures" % len(now)
    turned = [k for k, v in now.items() if v == "red" and before.get(k) != "red"]
    assert not turned, "turned red: %s (tools/validate --print shows the values)" % turned
    assert new == old, "docs/validation.md is stale: run tools/validate and commit it"
