"""Every program a user runs answers --help (usage on standard output, exit 0) and --version (one line, exit 0)."""
import os
import re
import subprocess

import pytest

from conftest import ROOT

# gen/anima-gen and every executable in tools/: a new tool answers both too (tools/anima_version.py gives the
# version line; a shell tool can copy the `case` of tools/mkimage).
TOOLS = ["gen/anima-gen"] + sorted("tools/" + f for f in os.listdir(os.path.join(ROOT, "tools"))
                                   if os.access(os.path.join(ROOT, "tools", f), os.X_OK)
                                   and os.path.isfile(os.path.join(ROOT, "tools", f)))


@pytest.mark.parametrize("tool", TOOLS)
def test_help_and_version(tool):
    path = os.path.join(ROOT, tool)
    name = os.path.basename(tool)
    r = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "" and name in r.stdout and len(r.stdout.splitlines()) > 2, r.stderr
    r = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and re.fullmatch(r"%s \d+\.\d+\.\d+\n" % re.escape(name), r.stdout), (r.stdout, r.stderr)
