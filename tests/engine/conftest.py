import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="session")
def sim():
    path = os.environ.get("ANIMA_SIM", os.path.join(ROOT, "build", "anima-sim"))
    if not os.path.exists(path):
        pytest.fail("anima-sim not found at %s (build first, or set ANIMA_SIM)" % path)
    return path


def run(sim, *args, **kw):
    return subprocess.run([sim] + [str(a) for a in args], capture_output=True, text=True, timeout=600, **kw)


def rows(text):
    return [l for l in text.splitlines() if l and not l.startswith("#")]
