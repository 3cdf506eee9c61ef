"""Every console line the programs write (`# anima: WORD...` in core/, efi/ and host/) has its row in
docs/options.md: a new line is documented when it is added."""
import os
import re

from conftest import ROOT


def test_every_console_line_is_documented():
    with open(os.path.join(ROOT, "docs", "options.md")) as f:
        doc = f.read()
    table = doc.split("## Console lines", 1)[1]
    missing = set()
    for top in ("core", "efi", "host"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for name in files:
                if name.endswith((".c", ".h")):
                    with open(os.path.join(dirpath, name), errors="replace") as f:
                        for m in re.finditer(r'"# anima: ([a-z][a-z ]*[a-z]|[a-z]+)', f.read()):
                            if "# anima: " + m.group(1) not in table:
                                missing.add("# anima: " + m.group(1))
    assert not missing, "console lines without a row in docs/options.md (## Console lines): %s" % sorted(missing)
