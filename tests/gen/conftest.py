import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import animatest  # noqa: E402


@pytest.fixture(scope="session")
def simdir(tmp_path_factory):
    """Where the session's anima-sim builds go (one per catalogue text)."""
    return tmp_path_factory.mktemp("sims")


@pytest.fixture(scope="session")
def build(simdir):
    """build(catalogue) -> path of an anima-sim compiled for it."""
    return lambda catalogue: animatest.build_sim(catalogue, simdir)
