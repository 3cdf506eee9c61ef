"""tools/anima-sweep on a LocalCluster of 2 workers: rows in grid order, a failing run retried then reported,
exit statuses, bad arguments refused before anything runs."""
import csv
import json
import os
import stat
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SWEEP = os.path.join(ROOT, "tools", "anima-sweep")
PY = os.environ.get("ANIMA_PYTHON", "/usr/bin/python3")


@pytest.fixture(scope="module")
def sim():
    path = os.environ.get("ANIMA_SIM", os.path.join(ROOT, "build", "anima-sim"))
    if not os.path.exists(path):
        pytest.fail("anima-sim not found at %s" % path)
    return path


def sweep(*args):
    return subprocess.run([PY, SWEEP] + [str(a) for a in args], capture_output=True, text=True, timeout=300)


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_grid_with_a_failing_run_and_a_flaky_one(sim, tmp_path):
    # A wrapper around anima-sim: seed 3 always fails; seed 4 fails on its first attempt only (retried once).
    wrapper = tmp_path / "flaky-sim"
    wrapper.write_text("#!/bin/sh\n"
                       "case \" $* \" in\n"
                       "  *' --seed 3 '*) case \" $* \" in *' --ticks 0 '*) ;; *) echo 'deliberate failure' >&2; exit 3;; esac;;\n"
                       "  *' --seed 4 '*) [ -e %s ] || { touch %s; echo 'first attempt fails' >&2; exit 4; };;\n"
                       "esac\n"
                       "exec %s \"$@\"\n" % (tmp_path / "seen4", tmp_path / "seen4", sim))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "s.csv"
    r = sweep("--seeds", "1-4", "--set", "env.dawn=21600,25200", "--ticks", 86400, "--every", 300,
              "--workers", 2, "--sim", wrapper, "-o", out)
    assert r.returncode == 1, r.stderr
    assert r.stderr.splitlines()[-1] == "anima-sweep: 8 runs, 2 failed: %s" % out
    rows = read(out)
    assert [(int(x["seed"]), int(x["env.dawn"])) for x in rows] == \
           [(s, d) for s in (1, 2, 3, 4) for d in (21600, 25200)]
    for x in rows:
        if x["seed"] == "3":
            assert x["error"] == "anima-sim exit status 3: deliberate failure" and x["end"] == ""
        else:
            assert x["error"] == "" and x["end"] == "ticks" and int(x["ticks"]) == 86400
    # the flaky run's row is the run itself: the same summary as anima-sim gives
    direct = json.loads(subprocess.run([sim, "--seed", "4", "--set", "env.dawn=25200", "--ticks", "86400", "--every", "300",
                                        "--trace", os.devnull, "--summary", "-"], capture_output=True,
                                       text=True).stdout)
    row = next(x for x in rows if x["seed"] == "4" and x["env.dawn"] == "25200")
    assert int(row["nights.1.onset"]) == direct["nights"][1]["onset"]
    assert float(row["days.0.body.temp"]) == direct["days"][0]["body.temp"]
    assert int(row["individual"]) == direct["individual"]


@pytest.mark.parametrize("args,message", [
    (["--seeds", "5-1"], "--seeds: range 5-1 goes down"),
    (["--seeds", "a"], "--seeds: expected A-B or a list of whole numbers, got 'a'"),
    (["--set", "env.dawn=1,99999"], "--set 'env.dawn=99999': value must be a whole number in the declared range 0..86399"),
    (["--set", "env.dawn"], "--set 'env.dawn': expected SUBSYSTEM.PARAM=V1,V2,..."),
    (["--set", "env.noon=5"], "--set 'env.noon=5': unknown parameter 'env.noon'"),
    (["--sample", "9", "--seeds", "1-3"], "--sample: 9 is not in 1..3 (the grid's points)"),
    (["--workers", "0"], "--workers: must be at least 1, got 0"),
    (["--ticks", "x"], "--ticks: expected a whole number, got 'x'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
])
def test_bad_arguments_exit_2_before_any_run(sim, tmp_path, args, message):
    out = tmp_path / "s.csv"
    r = sweep("--sim", sim, "-o", out, *args)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.splitlines()) == 1 and message in r.stderr, r.stderr
    assert not out.exists()


def test_bad_scenario_is_refused_with_its_line(sim, tmp_path):
    sc = tmp_path / "sc.txt"
    sc.write_text("60:meal=500\nd0 25:00 meal=1\n")
    r = sweep("--sim", sim, "--scenario", sc, "-o", tmp_path / "s.csv")
    assert r.returncode == 2 and r.stderr == "anima-sweep: %s:2:4: error: hour must be 0..23\n" % sc


def test_help_and_version():
    r = sweep("--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: anima-sweep")
    r = sweep("--version")
    assert r.returncode == 0 and r.stdout.startswith("anima-sweep ")


@pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning")  # Debian's tornado 6.2
def test_an_existing_scheduler(sim, tmp_path):
    """--scheduler ADDRESS: the runs go to a cluster the sweep did not start (and leaves running); --sample N
    draws N points of the seeds x individuals grid, written in grid order."""
    from distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        out = tmp_path / "s.csv"
        r = sweep("--scheduler", cluster.scheduler_address, "--seeds", "5,7,9", "--individuals", "2-3",
                  "--sample", 3, "--ticks", 3600, "--sim", sim, "-o", out)
        assert r.returncode == 0, r.stderr
        got = [(int(x["seed"]), int(x["individual"]), x["end"], x["error"]) for x in read(out)]
        grid = [(s, i) for s in (5, 7, 9) for i in (2, 3)]
        assert len(got) == 3 and [g[:2] for g in got] == sorted((g[:2] for g in got), key=grid.index)
        assert all(g[:2] in grid and g[2:] == ("ticks", "") for g in got)
        assert len(cluster.scheduler_info["workers"]) == 1
