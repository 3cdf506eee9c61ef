"""Finding 2: `anima-gen check` segfaulted (no output) on YAML nested 40,000 deep, and through CMake only
"anima-gen outputs failed" appeared. Now a one-line FILE:LINE:COLUMN error, also through the build; and
properties of the YAML front end at depth and size extremes."""

import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st

from conftest import ROOT

PY = os.environ.get("ANIMA_PYTHON", "/usr/bin/python3")
GEN = os.path.join(ROOT, "gen", "anima-gen")
sys.path.insert(0, os.path.join(ROOT, "gen"))

from anima_gen.cli import load_catalogue  # noqa: E402
from anima_gen import yamlsrc  # noqa: E402

LINE = re.compile(r"^.+:\d+:\d+: (error|warning): [^\n]+$")


def check(path):
    return subprocess.run([PY, GEN, "check", str(path)], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name,text,where", [
    ("flow", "x: " + "[" * 40000 + "]" * 40000 + "\n", "1:%d" % (4 + yamlsrc.MAX_DEPTH - 1)),
    ("mapping", "x: " + "{a: " * 40000 + "1" + "}" * 40000 + "\n", None),
    ("block", "x:\n" + "".join("  " * i + "-\n" for i in range(1, 3000)), None),
], ids=["flow", "mapping", "block"])
def test_deep_yaml_is_one_error_line(tmp_path, name, text, where):
    path = tmp_path / ("%s.yaml" % name)
    path.write_text(text)
    r = check(path)
    assert r.returncode == 1, (r.returncode, r.stderr[-500:])
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and LINE.match(lines[0]), r.stderr[-500:]
    assert "nested more than %d levels deep" % yamlsrc.MAX_DEPTH in lines[0]
    if where:
        assert lines[0].startswith("%s:%s: error: " % (path, where))
    # what CMake asks at configure time must not crash either
    r = subprocess.run([PY, GEN, "outputs", str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "anima_gen.h" in r.stdout, r.stderr


def test_through_cmake_the_message_reaches_the_user(tmp_path):
    deep = tmp_path / "deep.yaml"
    deep.write_text("x: " + "[" * 40000 + "]" * 40000 + "\n")
    build = tmp_path / "build"
    r = subprocess.run(["cmake", "-S", ROOT, "-B", str(build), "-DANIMA_CATALOGUE=%s" % deep,
                        "-DANIMA_PYTHON=%s" % PY], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    r = subprocess.run(["cmake", "--build", str(build), "--target", "anima_generate"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode != 0
    assert "%s:1:103: error: YAML nested more than 100 levels deep" % deep in r.stdout + r.stderr


def nested(depth, kinds):
    """A YAML value nested `depth` deep, each level a flow list, flow mapping or block list (kinds)."""
    out = "1"
    for k in range(depth):
        kind = kinds[k % len(kinds)]
        out = "[%s]" % out if kind == "l" else "{k: %s}" % out if kind == "m" else out
    return out


@settings(max_examples=60, deadline=None, database=None)
@given(depth=st.integers(0, 400), kinds=st.text(alphabet="lm", min_size=1, max_size=5),
       width=st.integers(1, 2000))
def test_front_end_at_depth_and_size_extremes(tmp_path_factory, depth, kinds, width):
    """Any depth (within and beyond the limit) and long flat lists: a catalogue error with a position, never
    a crash or a traceback (in process: a segfault would take pytest down and fail the suite)."""
    d = tmp_path_factory.mktemp("prop")
    path = d / "c.yaml"
    path.write_text("anima: {version: 1}\nextra: %s\nwide: [%s]\n" % (nested(depth, kinds),
                                                                    ", ".join(["1"] * width)))
    cat, diag = load_catalogue(str(path))
    lines = diag.lines()
    assert cat is None and lines
    for line in lines:
        assert LINE.match(line), line
    deep = any("nested more than" in l for l in lines)
    assert deep == (depth + 1 > yamlsrc.MAX_DEPTH), (depth, lines[:2])
