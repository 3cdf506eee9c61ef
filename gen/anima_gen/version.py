"""The project's version, the one place it is read: `project(anima VERSION x.y.z ...)` in CMakeLists.txt, which
anima-sim and anima.efi are built with. anima-gen and the tools (tools/anima_version.py) print it."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))


def version():
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            m = re.search(r"project\(\s*anima\s+VERSION\s+([0-9.]+)", f.read())
    except OSError:
        m = None
    return m.group(1) if m else "unknown"
