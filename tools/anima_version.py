"""anima_version: the project's version for the tools' --version: the one in CMakeLists.txt (`project(anima
VERSION x.y.z ...)`), which anima-sim and anima.efi print too."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def version():
    try:
        with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
            m = re.search(r"project\(\s*anima\s+VERSION\s+([0-9.]+)", f.read())
    except OSError:
        m = None
    return m.group(1) if m else "unknown"


def version_line(prog):
    return "%s %s" % (prog, version())


if __name__ == "__main__":  # `anima_version.py PROG`: the --version line of a shell tool
    import sys
    print(version_line(sys.argv[1] if len(sys.argv) > 1 else "anima"))
