"""The generated C of the configured catalogue (the organism in CI) against the Python reference interpreter
(`anima-gen run`): whole traces, rows and `#` lines, over several days with every stimulus the catalogue
declares, on several seeds and individuals."""
import concurrent.futures
import json
import os
import subprocess

import pytest

from conftest import ROOT, run

CATALOGUE = os.environ.get("ANIMA_CATALOGUE", os.path.join(ROOT, "subsystems.yaml"))
PYTHON = os.environ.get("ANIMA_PYTHON", "/usr/bin/python3")
DAY, HOUR = 86400, 3600
DAYS = 3
# (seed, individual or None, trace interval): the interpreter runs about 10,000 organism ticks a second, so three
# runs of three days cost about a minute and a half of CPU, two at a time.
RUNS = [(11, None, 300), (4, 9, 97), (18446744073709551615, 2, 600)]


def stimuli(describe, seed):
    """Every declared stimulus through its whole range: the middle of it, its low end two hours later, its high
    end two hours after that and its low end (or 'auto' where it has one) an hour later; stimuli start six hours
    apart, at an hour that differs with the seed, and the last ones fall on the third day."""
    out = []
    for i, s in enumerate(describe["stimuli"]):
        lo, hi = s["range"]
        t = (i + 1) * 6 * HOUR + (seed % 7) * 600
        last = "auto" if s["auto"] is not None else lo
        for dt, v in ((0, lo + (hi - lo) // 2), (2 * HOUR, lo), (4 * HOUR, hi), (5 * HOUR, last)):
            out += ["--stimulus", "%d:%s=%s" % (t + dt, s["name"], v)]
    return out


def args_of(describe, seed, individual, every):
    who = ["--individual", str(individual)] if individual is not None else []
    return ["--seed", str(seed), "--ticks", str(DAYS * DAY), "--every", str(every)] + who + stimuli(describe, seed)


@pytest.fixture(scope="module")
def describe(sim):
    return json.loads(run(sim, "--describe").stdout)


@pytest.fixture(scope="module")
def references(describe):
    def one(r):
        args = args_of(describe, *r)
        ref = subprocess.run([PYTHON, os.path.join(ROOT, "gen", "anima-gen"), "run", CATALOGUE, "--"] + args,
                             capture_output=True, text=True, timeout=1800)
        return args, ref
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(RUNS, pool.map(one, RUNS)))


def test_every_stimulus_is_exercised(describe):
    names = {s["name"] for s in describe["stimuli"]}
    given = set()
    args = stimuli(describe, 11)
    for k in range(1, len(args), 2):
        t, _, rest = args[k].partition(":")
        assert int(t) < DAYS * DAY, args[k]
        given.add(rest.partition("=")[0])
    assert given == names


@pytest.mark.parametrize("r", RUNS, ids=["seed%d-individual%s-every%d" % r for r in RUNS])
def test_interpreter_and_compiled_organism_agree(sim, references, r):
    args, ref = references[r]
    assert ref.returncode == 0, ref.stderr
    mine = run(sim, *args)
    assert mine.returncode == 0, mine.stderr
    a, b = mine.stdout.splitlines(), ref.stdout.splitlines()
    first = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), None)
    assert first is None and len(a) == len(b), "first difference at line %s: C %r, interpreter %r" % (
        first, a[first] if first is not None else len(a), b[first] if first is not None else len(b))
