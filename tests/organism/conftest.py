import os
import sys

sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    """A bad ANIMA_SEEDS is one line before any test runs, not a collection traceback."""
    import pytest
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
    from anima_lists import parse_list
    try:
        parse_list(os.environ.get("ANIMA_SEEDS", "1-10"), "ANIMA_SEEDS")
    except ValueError as e:
        raise pytest.UsageError(str(e))
