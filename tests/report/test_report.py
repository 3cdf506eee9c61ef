"""Tests of tools/anima-report and tools/anima_trace.py.  Run: /usr/bin/python3 -m pytest tests/report -q"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(ROOT, "tools")
REPORT = os.path.join(TOOLS, "anima-report")
sys.path.insert(0, TOOLS)
sys.path.insert(0, HERE)

import anima_trace as at  # noqa: E402
import synth_trace as st  # noqa: E402

DAY, H, M = 86400, 3600, 60


def run_report(trace_path, outdir, *extra):
    return subprocess.run([REPORT, str(trace_path), "-o", str(outdir)] + list(extra),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth") / "trace.csv"
    path.write_text(st.trace_text())
    return path


# ---------------------------------------------------------------------------------------------------------
# parsing

def test_parse_synthetic(synthetic):
    tr = at.read_trace(str(synthetic))
    assert len(tr) == 3 * DAY // 60
    assert tr.columns[0] == "tick" and "extra.unknown_column" in tr.columns
    assert tr.step() == 60
    assert tr.column("sleep.stage")[0] == st.N2
    assert tr.column("nope.absent") is None
    texts = [e.text for e in tr.events]
    assert texts[0].startswith("anima-sim synthetic")
    meal = next(e for e in tr.events if "meal" in e.text)
    assert meal.tick == DAY + 8 * H and meal.explicit
    noon = [e for e in tr.events if e.text == "status: noon"]
    assert [e.tick for e in noon] == [12 * H, DAY + 12 * H, 2 * DAY + 12 * H]
    assert tr.events[-1].tick == 3 * DAY and tr.events[-1].text.startswith("anima: end")


def test_com1_log_equals_plain_trace(tmp_path):
    plain = at.parse_text(st.trace_text())
    log = tmp_path / "com1.log"
    log.write_bytes(st.com1_log().encode())
    tr = at.read_trace(str(log))
    assert tr.columns == plain.columns
    assert all(list(tr.data[c]) == list(plain.data[c]) for c in tr.columns)
    assert tr.events[0].text == "anima: boot services exited" and tr.events[0].tick is None
    assert [e.text for e in tr.events[1:]] == [e.text for e in plain.events]
    assert tr.noise_lines == 4


def test_fmt_tick():
    assert at.fmt_tick(0) == "d0 00:00:00"
    assert at.fmt_tick(DAY + 7 * H + 30 * M + 5) == "d1 07:30:05"
    assert at.fmt_tick(None) == "-"
    assert at.fmt_duration(7 * H + 5 * M) == "7h05"


def test_truncated_last_line_is_dropped_with_warning():
    text = st.trace_text(days=1)
    text = text[: text.rindex("\n", 0, len(text) - 1)]  # drop the end comment
    text = text + "\n86400,12"                         # a last row cut off by the capture
    tr = at.parse_text(text)
    assert len(tr) == DAY // 60
    assert [w.format("f") for w in tr.warnings] == [
        "f:%d: incomplete last line ignored (row has 2 fields, the header has %d)" % (2 + DAY // 60 + 1 + 1, len(tr.columns))]  # comment, header, rows, noon event


# ---------------------------------------------------------------------------------------------------------
# the per-night analysis, checked against the hypnogram the generator laid out (see synth_trace.py)

def summarize(path):
    sim = os.environ.get("ANIMA_SIM", os.path.join(ROOT, "build", "anima-sim"))
    if not os.path.isfile(sim):
        pytest.fail("anima-sim not found at %s (build first, or set ANIMA_SIM)" % sim)
    r = subprocess.run([sim, "--summarize", str(path)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_nights_on_synthetic(synthetic):
    """core/summary.c (anima-sim --summarize) on the hypnogram laid out by hand in synth_trace.py."""
    nights = summarize(synthetic)["nights"]
    assert [n["night"] for n in nights] == [-1, 0, 1, 2]
    got = [(at.fmt_tick(n["onset"]), at.fmt_tick(n["wake"]), n["duration_min"], n["asleep_min"], n["cycles"],
            n["n3_min"], n["rem_min"], n["naps"]) for n in nights]
    assert got == [
        ("d0 00:00:00", "d0 07:00:00", 420, 420, 2, 60, 50, 0),
        ("d0 23:00:00", "d1 07:00:00", 480, 470, 5, 90, 120, 1),   # the 10-min awakening stays inside
        ("d1 23:30:00", "d2 04:05:00", 275, 275, 3, 85, 55, 2),    # the 60-min awakening splits the night
        ("d2 22:45:00", "d3 00:00:00", 75, 75, 0, 40, 0, 0),       # cut by the end of the trace
    ]
    partial = [n["covered_from"] > n["night"] * DAY + 12 * H or n["covered_to"] < (n["night"] + 1) * DAY + 12 * H
               for n in nights]
    assert [(n["began_before"], n["ended_after"], p) for n, p in zip(nights, partial)] == [
        (True, False, True), (False, False, False), (False, False, False), (False, True, True)]
    assert [(n["temp_min"], at.fmt_tick(n["temp_min_tick"])) for n in nights] == [
        (250, "d0 04:30:00"), (250, "d1 04:40:00"), (250, "d2 04:50:00"), (281, "d2 23:51:00")]  # first of equal values
    assert [(n["cortisol_peak"], at.fmt_tick(n["cortisol_peak_tick"])) for n in nights] == [
        (800, "d0 07:45:00"), (800, "d1 07:50:00"), (800, "d2 07:55:00"), (677, "d2 12:00:00")]


def test_nights_without_sleep_stage(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text(st.trace_text(days=2, columns=["tick", "body.temp"]))
    nights = summarize(path)["nights"]
    assert [n["onset"] for n in nights] == [None, None, None]
    assert nights[1]["temp_min_tick"] == DAY + 4 * H + 40 * M


# ---------------------------------------------------------------------------------------------------------
# the tool end to end

def check_report(outdir, figures):
    page = (outdir / "index.html").read_text()
    for f in figures:
        assert (outdir / f).stat().st_size > 5000, f
        assert 'src="%s"' % f in page
        with open(outdir / f, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    return page


ALL_FIGURES = ["hypnogram.png", "circadian.png", "eeg.png", "metabolism.png", "immune_affect.png", "heart.png"]


def test_report_synthetic(synthetic, tmp_path):
    r = run_report(synthetic, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    page = check_report(tmp_path / "out", ALL_FIGURES)
    assert "d1 08:00:00" in page and "stimulus meal=600" in page      # an event, with its time
    assert "d0 23:00:00" in page and "8h00" in page and "7h50" in page  # night d0/d1
    assert "36.50" in page and "d1 04:40:00" in page
    assert "Columns absent" not in page
    assert "<script" not in page and "http" not in page


def test_report_com1_log(tmp_path):
    log = tmp_path / "com1.log"
    log.write_bytes(st.com1_log(days=1).encode())
    r = run_report(log, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    page = check_report(tmp_path / "out", ["hypnogram.png", "circadian.png"])
    assert "anima: boot services exited" in page
    assert "BdsDxe" not in page and "\x1b" not in page


def test_report_partial_trace(tmp_path):
    path = tmp_path / "partial.csv"
    path.write_text(st.trace_text(days=1, columns=["tick", "sleep.stage", "heart.rate", "extra.unknown_column"]))
    r = run_report(path, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    page = check_report(tmp_path / "out", ["hypnogram.png", "heart.png"])
    assert not (tmp_path / "out" / "eeg.png").exists()
    assert "Columns absent" in page and "body.temp" in page


def test_report_header_only(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("tick,sleep.stage\n# anima: end tick=0 reason=death\n")
    r = run_report(path, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    page = (tmp_path / "out" / "index.html").read_text()
    assert "no rows" in page and "reason=death" in page


# ---------------------------------------------------------------------------------------------------------
# bad inputs: one exact line on stderr, exit 1 (2 for bad arguments), no traceback

BAD = [
    ("noheader.log", "BdsDxe: loading\r\n\x1b[2Jsome firmware text\n1,2,3\n",
     "{p}: not a trace (no header line starting with 'tick,')"),
    ("empty.csv", "", "{p}: not a trace (no header line starting with 'tick,')"),
    ("nonint.csv", "tick,a.b,c.d\n0,1,2\n# ok\n60,1,x2\n", "{p}:4: non-integer field 'x2' in column 'c.d'"),
    ("float.csv", "tick,a.b\n0,1.5\n", "{p}:2: non-integer field '1.5' in column 'a.b'"),
    ("short.csv", "boot\ntick,a.b,c.d\n0,1,2\n60,1\n120,1,2\n", "{p}:4: row has 2 fields, the header has 3"),
    ("long.csv", "tick,a.b\n0,1,2,3\n60,1\n", "{p}:2: row has 4 fields, the header has 2"),
    ("back.csv", "tick,a.b\n60,1\n0,1\n", "{p}:3: tick 0 does not follow tick 60 (ticks must increase)"),
    ("dup.csv", "tick,a.b,a.b\n0,1,2\n", "{p}:1: bad header: column 'a.b' appears twice"),
    ("huge.csv", "tick,a.b\n0,99999999999999999999\n1,1\n",
     "{p}:2: integer out of the 64-bit range in column 'a.b'"),
]


@pytest.mark.parametrize("name,content,expected", BAD, ids=[b[0] for b in BAD])
def test_bad_input(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content)
    r = run_report(path, tmp_path / "out")
    assert r.returncode == 1
    assert r.stderr == "anima-report: " + expected.format(p=path) + "\n"
    assert not (tmp_path / "out" / "index.html").exists()


def test_unreadable(tmp_path):
    missing = tmp_path / "missing.csv"
    r = run_report(missing, tmp_path / "out")
    assert (r.returncode, r.stderr) == (1, "anima-report: %s: cannot read: No such file or directory\n" % missing)
    r = run_report(tmp_path, tmp_path / "out")  # a directory
    assert (r.returncode, r.stderr) == (1, "anima-report: %s: cannot read: Is a directory\n" % tmp_path)


def test_binary_garbage(tmp_path):
    path = tmp_path / "garbage.bin"
    path.write_bytes(bytes(range(256)) * 40)
    r = run_report(path, tmp_path / "out")
    assert (r.returncode, r.stderr) == (
        1, "anima-report: %s: not a trace (no header line starting with 'tick,')\n" % path)


def test_bad_arguments(tmp_path):
    r = subprocess.run([REPORT], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "usage" in r.stderr
    r = subprocess.run([REPORT, "x.csv"], capture_output=True, text=True)
    assert r.returncode == 2 and "-o" in r.stderr


def test_runs_under_any_python3(tmp_path, synthetic):
    """The script re-executes under /usr/bin/python3 when the python3 on PATH has no matplotlib."""
    r = subprocess.run(["python3", REPORT, str(synthetic), "-o", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------------------------------------------------
# the real simulator, when there is one

def test_report_on_anima_sim(tmp_path):
    sim = os.environ.get("ANIMA_SIM")
    if not sim or not os.path.isfile(sim):
        pytest.skip("ANIMA_SIM is not set to an existing anima-sim binary")
    trace = tmp_path / "sim.csv"
    r = subprocess.run([sim, "--ticks", "259200", "--every", "60", "--trace", str(trace)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    tr = at.read_trace(str(trace))
    assert len(tr) >= 3 * DAY // 60 - 1
    missing = [c for c in ("sleep.stage", "body.temp", "cortisol.level", "melatonin.level", "env.light")
               if not tr.has(c)]
    assert not missing, missing
    r = run_report(trace, tmp_path / "out")
    assert r.returncode == 0, r.stderr
    check_report(tmp_path / "out", ALL_FIGURES)
    page = (tmp_path / "out" / "index.html").read_text()
    assert "d0/d1" in page and "Units: " in page and "temp min (C)" in page


def test_missing_matplotlib_message(tmp_path, synthetic):
    """Without matplotlib (and with the re-exec already tried) the error names the Debian package."""
    probe = subprocess.run(["python3", "-c", "import matplotlib"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the python3 on PATH has matplotlib")
    env = dict(os.environ, ANIMA_REPORT_REEXEC="1")
    r = subprocess.run(["python3", REPORT, str(synthetic), "-o", str(tmp_path / "o")],
                       capture_output=True, text=True, env=env)
    assert (r.returncode, r.stderr) == (2, "anima-report: matplotlib is missing: install the Debian package "
                                           "python3-matplotlib (apt-get install python3-matplotlib)\n")
