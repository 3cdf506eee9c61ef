"""Every program a user runs answers --help (usage on standard output, exit 0) and --version (one line, exit 0)."""
import os
import re
import subprocess

import pytest

from conftest import ROOT

TOOLS = ["gen/anima-gen", "tools/anima-sweep", "tools/anima-report", "tools/qemu-boot", "tools/bench", "tools/mkimage", "tools/psf2c", "tools/regen-docs",
         "tools/regen-golden", "tools/setup", "tools/test"]


@pytest.mark.parametrize("tool", TOOLS)
def test_help_and_version(tool):
    path = os.path.join(ROOT, tool)
    name = os.path.basename(tool)
    r = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "" and name in r.stdout and len(r.stdout.splitlines()) > 2, r.stderr
    r = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and re.fullmatch(r"%s \d+\.\d+\.\d+\n" % re.escape(name), r.stdout), (r.stdout, r.stderr)
