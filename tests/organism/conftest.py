import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    """A bad ANIMA_SEEDS (organism.py reads it) is one line before any test runs, not a collection traceback."""
    import pytest
    try:
        import organism  # noqa: F401
    except ValueError as e:
        raise pytest.UsageError(str(e))
