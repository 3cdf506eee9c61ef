"""Finding 7 (tools/anima-report read a whole trace into memory: 9.3 GB for a 30-day `--every 1` trace and a
MemoryError traceback under a memory limit) and the BOM part of finding 8 (a UTF-8 BOM at the start of a trace
made it "not a trace")."""

import os
import re
import subprocess

import pytest
from hypothesis import given, settings, strategies as st

from conftest import TOOLS

import anima_trace as at

REPORT = os.path.join(TOOLS, "anima-report")
DAY = 86400


_MEASURE = """
import resource, subprocess, sys
limit = int(sys.argv[1])
def apply_limit():
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
r = subprocess.run(sys.argv[3:], preexec_fn=apply_limit)
with open(sys.argv[2], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(r.returncode)
"""


def report(trace, outdir, limit_bytes=0):
    """Run anima-report (under an address-space limit when given); returns (CompletedProcess, its peak RSS
    in kB), measured by a wrapper process of its own so that no other child counts."""
    rss_file = str(outdir) + ".rss"
    r = subprocess.run(["/usr/bin/python3", "-c", _MEASURE, str(limit_bytes), rss_file,
                        REPORT, str(trace), "-o", str(outdir)], capture_output=True, text=True, timeout=300)
    with open(rss_file) as f:
        return r, int(f.read())


@pytest.fixture(scope="module")
def every1(sim, tmp_path_factory):
    """Traces of anima-sim at --every 1: half a day and two days (30 MB and 120 MB)."""
    d = tmp_path_factory.mktemp("every1")
    out = {}
    for name, ticks in (("half", DAY // 2), ("two", 2 * DAY)):
        path = d / ("%s.csv" % name)
        subprocess.run([sim, "--ticks", str(ticks), "--every", "1", "--trace", str(path)], check=True)
        out[name] = path
    return out


def test_memory_does_not_grow_with_the_trace(every1, tmp_path):
    """Four times the rows, (almost) the same peak memory, and it fits under a 500 MB address-space limit;
    the whole-file reader grew by ~3.5 kB per row and died there with a MemoryError traceback."""
    r1, rss1 = report(every1["half"], tmp_path / "half")
    assert r1.returncode == 0, r1.stderr
    r2, rss2 = report(every1["two"], tmp_path / "two", limit_bytes=500 << 20)
    assert "Traceback" not in r2.stderr
    assert r2.returncode == 0, r2.stderr
    assert rss2 - rss1 < 40 * 1024, (rss1, rss2)  # kB
    assert re.search(r"\(172801 rows, \d+ figures, 3 nights, \d+ events\)", r2.stdout), r2.stdout
    page = (tmp_path / "two" / "index.html").read_text()
    assert "the minimum and maximum of every" in page
    assert (tmp_path / "two" / "hypnogram.png").stat().st_size > 5000


def test_out_of_memory_is_one_line(every1, tmp_path):
    """A limit too small to draw gives one line and exit 1, never a traceback."""
    r, _ = report(every1["half"], tmp_path / "out", limit_bytes=100 << 20)
    assert "Traceback" not in r.stderr
    if r.returncode != 0:
        assert r.returncode == 1
        assert re.fullmatch(r"anima-report: .*out of memory[^\n]*\n", r.stderr), r.stderr


def test_decimation_keeps_extremes_and_bounds_points():
    rows = 100000
    lines = ["tick,a.b,sleep.stage"]
    for t in range(rows):
        lines.append("%d,%d,%d" % (t, 999 if t == 77777 else (-5 if t == 12345 else t % 7), 2 if t % 5000 < 2500 else 0))
    tr = at.parse_text("\n".join(lines) + "\n", max_points=1000)
    assert len(tr) == rows and tr.decimated
    assert len(tr.column("a.b")) <= 1000 and len(tr.ticks) == len(tr.column("a.b"))
    assert max(tr.column("a.b")) == 999 and min(tr.column("a.b")) == -5
    assert list(tr.ticks) == sorted(tr.ticks) and tr.ticks[0] == 0
    assert (tr.first_tick, tr.last_tick, tr.step(), tr.end_tick()) == (0, rows - 1, 1, rows)
    # (the sleep analysis is anima-sim --summarize, which reads every row: tests/engine/test_summary.py)
    exact = at.parse_text("\n".join(lines) + "\n", max_points=10 ** 9)
    assert not exact.decimated


def test_bom_at_the_start():
    tr = at.parse_text("\ufefftick,a.b\n0,1\n60,2\n")
    assert tr.columns == ["tick", "a.b"] and list(tr.column("a.b")) == [1, 2]


def test_bom_report(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbftick,sleep.stage\n0,0\n60,2\n")
    r, _ = report(path, tmp_path / "out")
    assert r.returncode == 0, r.stderr


def test_overlong_line_is_one_error(tmp_path):
    path = tmp_path / "long.csv"
    with open(path, "wb") as f:
        f.write(b"x" * (3 << 20) + b"\n")            # noise before the header: skipped
        f.write(b"tick,a.b\n0,1\n")
        f.write(b"1," + b"7" * (2 << 20) + b"\n")    # a row of 2 MB: an error naming the line
    r, _ = report(path, tmp_path / "out")
    assert (r.returncode, r.stderr) == (1, "anima-report: %s:4: line longer than %d bytes\n" % (path, at.MAX_LINE))


def test_events_are_bounded():
    text = "tick,a.b\n" + "".join("%d,1\n# event %d\n" % (t, t) for t in range(at.MAX_EVENTS + 10))
    tr = at.parse_text(text)
    assert len(tr.events) == at.MAX_EVENTS and tr.events_dropped == 10
    assert [w.format("f") for w in tr.warnings] == [
        "f: 10 more '#' lines not kept as events (the first %d are)" % at.MAX_EVENTS]


_ROW = re.compile(rb"-?[0-9]+(?:,-?[0-9]+)*")


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.sampled_from([b"0", b"7", b"12", b"-", b",", b" ", b"x", b"--", b"-3"]), max_size=12))
def test_fast_row_check_is_the_regular_expression(parts):
    line = b"".join(parts)
    assert at._is_int_row(line) == bool(_ROW.fullmatch(line))
