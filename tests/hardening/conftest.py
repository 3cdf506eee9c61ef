"""Shared helpers of the hardening regression tests (see test_*.py; each names the finding it covers)."""

import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(ROOT, "tools")
sys.path.insert(0, TOOLS)


def sim_path():
    """The anima-sim under test (ANIMA_SIM, set by ctest), or None."""
    sim = os.environ.get("ANIMA_SIM")
    return sim if sim and os.path.isfile(sim) else None


@pytest.fixture(scope="session")
def sim():
    """The anima-sim under test; the tests that need one are skipped outside ctest."""
    path = sim_path()
    if not path:
        pytest.skip("ANIMA_SIM is not set to an existing anima-sim binary")
    return path
