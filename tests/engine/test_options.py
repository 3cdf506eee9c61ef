"""The options table (core/options.c): --help, --version, --set, --columns, --events and scenario files."""
import os
import re

import pytest

from conftest import ROOT, rows, run


def test_help_is_usage_on_stdout_exit_0(sim):
    r = run(sim, "--help")
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("usage: anima-sim ")
    for name in ("--seed", "--individual", "--ticks", "--every", "--env", "--stimulus", "--scenario", "--set",
                 "--columns", "--speed", "--trace", "--events", "--save", "--resume", "--persist",
                 "--trace-file", "--clock", "--fault", "--catalogue-info", "--help", "--version"):
        assert re.search(r"^  %s( |$)" % re.escape(name), r.stdout, re.M), name


def test_help_block_in_docs_is_current(sim):
    with open(os.path.join(ROOT, "docs", "options.md")) as f:
        doc = f.read()
    m = re.search(r"<!-- anima-sim --help \(written by tools/regen-docs\) -->\n```\n(.*?)```\n", doc, re.S)
    assert m, "docs/options.md has no --help block"
    assert m.group(1) == run(sim, "--help").stdout, "docs/options.md is stale: run tools/regen-docs"


def test_every_option_has_a_section_in_docs(sim):
    with open(os.path.join(ROOT, "docs", "options.md")) as f:
        doc = f.read()
    body = doc.split("<!-- end of anima-sim --help -->", 1)[1]
    for name in re.findall(r"^  (--[a-z-]+)", run(sim, "--help").stdout, re.M):
        assert "`%s" % name in body, name


def test_version_line(sim):
    r = run(sim, "--version")
    assert r.returncode == 0 and r.stderr == ""
    assert re.fullmatch(r"anima-sim \d+\.\d+\.\d+ catalogue=[0-9a-f]{16}\n", r.stdout), r.stdout


BAD = [
    (["--set", "env.dawn=90000"], "--set 'env.dawn=90000': value must be a whole number in the declared range 0..86399"),
    (["--set", "env.dawn=-1"], "--set 'env.dawn=-1': value must be a whole number in the declared range 0..86399"),
    (["--set", "env.dawn=7h"], "--set 'env.dawn=7h': value must be a whole number in the declared range 0..86399"),
    (["--set", "env.dusk"], "--set 'env.dusk': expected SUBSYSTEM.PARAM=VALUE"),
    (["--set", "env.noon=5"], "--set 'env.noon=5': unknown parameter 'env.noon'"),
    (["--columns", "slep.*"], "--columns: pattern 'slep.*' matches no column"),
    (["--columns", "sleep.*,,body.temp"], "--columns: empty pattern in 'sleep.*,,body.temp'"),
    (["--clock", "tsc"], "option '--clock' is for the UEFI application only"),
    (["--trace-file", "x.csv"], "option '--trace-file' is for the UEFI application only"),
    (["--individual", "x"], "--individual: expected a whole number, got 'x'"),
    (["--help=1"], "option '--help' takes no value"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_option_one_line_exit_2(sim, tmp_path, args, message):
    trace = tmp_path / "t.csv"
    r = run(sim, "--trace", trace, "--ticks", 100, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [r.stderr.rstrip("\n")] and r.stderr.startswith("anima-sim: " + message), r.stderr
    assert not trace.exists()


def test_set_changes_the_run_and_only_through_the_parameter(sim):
    base = run(sim, "--ticks", 86400, "--every", 3600, "--columns", "env.light")
    early = run(sim, "--ticks", 86400, "--every", 3600, "--columns", "env.light", "--set", "env.dawn=3600")
    same = run(sim, "--ticks", 86400, "--every", 3600, "--columns", "env.light", "--set", "env.dawn=25200")
    assert base.returncode == early.returncode == 0
    assert same.stdout == base.stdout  # the catalogue's own value
    light = lambda out: [int(l.split(",")[1]) for l in rows(out)[1:]]
    assert light(base.stdout)[2] == 0 and light(early.stdout)[2] == 1000  # 02:00: lights on only with dawn=01:00


def test_columns_select_in_catalogue_order_tick_first(sim):
    full = run(sim, "--seed", 3, "--ticks", 600)
    sel = run(sim, "--seed", 3, "--ticks", 600, "--columns", "body.temp,sleep.*")
    header = rows(full.stdout)[0].split(",")
    want = [0] + [k for k, n in enumerate(header) if n == "body.temp" or n.startswith("sleep.")]
    assert rows(sel.stdout)[0].split(",") == [header[k] for k in want]
    assert [l.split(",") for l in rows(sel.stdout)[1:]] == \
           [[l.split(",")[k] for k in want] for l in rows(full.stdout)[1:]]
    assert run(sim, "--ticks", 120, "--columns", "tick").stdout.splitlines()[:3] == ["tick", "0", "60"]


def test_events_file_takes_the_comment_lines(sim, tmp_path):
    ev = tmp_path / "ev.txt"
    both = run(sim, "--ticks", 600, "--stimulus", "120:meal=500")
    apart = run(sim, "--ticks", 600, "--stimulus", "120:meal=500", "--events", ev)
    assert apart.returncode == 0
    assert not any(l.startswith("#") for l in apart.stdout.splitlines())
    assert apart.stdout.splitlines() == rows(both.stdout)
    assert ev.read_text() == "# anima: stimulus 120:meal=500\n# anima: end tick=600 reason=ticks\n"


def test_scenario_equals_the_same_stimuli_on_the_command_line(sim, tmp_path):
    sc = tmp_path / "day.txt"
    sc.write_text("# a day\r\n\n   d0 07:30 meal=500   # breakfast\nd0 12:00:30 meal=700\n"
                  "50000:stress=300\n\td0 23:59:59 light=auto\n")
    a = run(sim, "--ticks", 86400, "--every", 600, "--scenario", sc)
    b = run(sim, "--ticks", 86400, "--every", 600, "--stimulus", "27000:meal=500", "--stimulus", "43230:meal=700",
            "--stimulus", "50000:stress=300", "--stimulus", "86399:light=auto")
    assert a.returncode == 0 and a.stdout == b.stdout


SCENARIO_ERRORS = [
    ("meal=500\n", "1:1: error: expected TICK:NAME=VALUE or dDAY HH:MM[:SS] NAME=VALUE"),
    ("# ok\n60 meal=500\n", "2:3: error: expected TICK:NAME=VALUE or dDAY HH:MM[:SS] NAME=VALUE"),
    ("60:meal=5000\n", "1:9: error: value must be a whole number in 0..1000"),
    ("  60:lunch=5\n", "1:6: error: unknown stimulus 'lunch' (known: meal infection stress keep_awake food_supply light"),
    ("60:meal\n", "1:8: error: expected NAME=VALUE"),
    ("60:meal=5 70:meal=5\n", "1:11: error: unexpected text after the action (one action per line)"),
    ("d1 24:00 meal=1\n", "1:4: error: hour must be 0..23"),
    ("d1 07:60 meal=1\n", "1:7: error: minute must be 0..59"),
    ("d1 07:00:61 meal=1\n", "1:10: error: second must be 0..59"),
    ("d1 7h meal=1\n", "1:4: error: expected the time as HH:MM or HH:MM:SS"),
    ("dx 07:00 meal=1\n", "1:2: error: expected the day's number after 'd'"),
    ("d1 07:00:00meal=1\n", "1:12: error: expected a blank, then NAME=VALUE, after the time"),
    ("99999999999999999999:meal=1\n", "1:1: error: tick is too large"),
    ("60:meal=1\n\n70:me\x01al=1\n", "3:6: error: not a line of ASCII text"),
    ("60:light=auto\n60:meal=auto\n", "2:9: error: value must be a whole number in 0..1000"),
]


@pytest.mark.parametrize("text,message", SCENARIO_ERRORS, ids=[m.split(": error: ")[1][:30] for _, m in SCENARIO_ERRORS])
def test_bad_scenario_line(sim, tmp_path, text, message):
    sc = tmp_path / "s.txt"
    sc.write_bytes(text.encode("latin-1"))
    trace = tmp_path / "t.csv"
    r = run(sim, "--ticks", 60, "--scenario", sc, "--trace", trace)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("%s:%s" % (sc, message)), r.stderr
    assert not trace.exists()


def test_missing_scenario_file(sim, tmp_path):
    r = run(sim, "--scenario", tmp_path / "nope.txt")
    assert r.returncode == 2 and r.stderr == "anima-sim: --scenario %s: No such file or directory\n" % (tmp_path / "nope.txt")


def test_a_scenario_far_beyond_512_actions(sim, tmp_path):
    sc = tmp_path / "many.txt"
    sc.write_text("".join("%d:light=%d\n" % (t, t % 1000) for t in range(0, 86400, 10)))  # 8,640 actions
    r = run(sim, "--ticks", 86400, "--every", 86400, "--scenario", sc, "--events", tmp_path / "ev.txt",
            "--columns", "env.override")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "ev.txt").read_text().count("stimulus") == 8640
    assert r.stdout.splitlines()[-1] == "86400,%d" % (86390 % 1000)


@pytest.mark.parametrize("pattern,columns", [
    ("body.te?p", ["body.temp"]),
    ("eeg.[!d]*", ["eeg.theta", "eeg.alpha", "eeg.beta", "eeg.gamma"]),
    ("sleep.[s-t]*", ["sleep.stage", "sleep.shi"]),
    ("[", None), ("eeg.[", None), ("eeg.[!", None),
])
def test_column_globs(sim, pattern, columns):
    r = run(sim, "--ticks", 0, "--columns", pattern)
    if columns is None:
        assert r.returncode == 2 and "matches no column" in r.stderr
    else:
        assert r.returncode == 0 and rows(r.stdout)[0] == ",".join(["tick"] + columns)
