"""The perturbational complexity index (consciousness.pci, docs/consciousness.md) on seeds 1-10.

The probe runs every 10 minutes here (`--set consciousness.rate=600`, its default is every 2 h) so that each
seed gives enough probes in every stage; the rate changes how often the index is sampled, not its value."""
import os
import statistics
import subprocess
import sys

import pytest

from organism import DAY, HOUR, SEEDS, SIM, Trace

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RATE = 600
WAKE, N1, N2, N3, REM = 0, 1, 2, 3, 4


def sim(seed, ticks, *extra, every=RATE, rate=RATE, cache={}):
    args = [SIM, "--seed", str(seed), "--ticks", str(ticks), "--every", str(every), "--trace", "-"] + list(extra)
    if rate is not None:  # None: the catalogue's default rate
        args += ["--set", "consciousness.rate=%d" % rate]
    key = tuple(args)
    if key not in cache:
        out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=600)
        cache[key] = Trace(out.stdout)
    return cache[key]


def by_stage(seed):
    """Mean index per scored stage over the probes from 12:00 of day 0 to 09:00 of day 1 (a waking afternoon
    and evening, a night, a morning)."""
    t = sim(seed, DAY + 9 * HOUR)
    acc = {}
    for tick, stage, pci in zip(t.tick, t["sleep.stage"], t["consciousness.pci"]):
        if tick >= 12 * HOUR:
            acc.setdefault(stage, []).append(pci)
    return {k: statistics.mean(v) for k, v in acc.items()}


@pytest.fixture(scope="module")
def stage_means():
    per_seed = [by_stage(s) for s in SEEDS]
    return {k: statistics.mean(m[k] for m in per_seed) for k in (WAKE, N2, N3, REM)}, per_seed


def test_wake_rem_n2_n3_in_order(stage_means):
    m, per_seed = stage_means
    sys.stdout.write("PCI x 1000 by stage, mean of seeds 1-10: %s\n" % m)
    assert m[WAKE] > m[REM] > m[N2] > m[N3], m


def test_wake_in_casali_range_and_n3_below_cutoff(stage_means):
    # Casali et al. 2013: awake 0.44-0.67; NREM below Casarotto et al. 2016's cut-off 0.31.
    m, _ = stage_means
    assert 440 <= m[WAKE] <= 670, m
    assert m[N3] < 310, m


def drug_mean(seed, name):
    """Mean index from 11:00 to 14:00 with the drug's target at 800 from 10:00 (an hour to equilibrate)."""
    t = sim(seed, 14 * HOUR, "--stimulus", "%d:%s=800" % (10 * HOUR, name))
    _, v = t.window("consciousness.pci", 11 * HOUR, 14 * HOUR + 1)
    return statistics.mean(v)


def test_propofol_lowers_the_index_below_the_cutoff():
    m = statistics.mean(drug_mean(s, "anesthesia") for s in SEEDS)
    assert m < 310, m


def test_ketamine_keeps_it_high():
    m = statistics.mean(drug_mean(s, "ketamine") for s in SEEDS)
    assert m > 440, m


def test_the_probe_changes_nothing_else():
    """Same run with the probe at its default rate, every 10 minutes and off: every other column is equal."""
    runs = [sim(4, DAY, "--stimulus", "%d:meal=500" % (9 * HOUR), every=60, rate=r) for r in (None, 600, 0)]
    names = [n for n in runs[0].header if n != "consciousness.pci"]
    assert any(v > 0 for v in runs[0]["consciousness.pci"]) and not any(runs[2]["consciousness.pci"])
    for other in runs[1:]:
        for n in names:
            assert other[n] == runs[0][n], n


def test_interpreter_computes_the_same_index():
    """The reference interpreter (gen/anima-gen run) implements the probe independently of core/probe.c: the
    traces agree, the index included, through probes in NREM sleep and in forced wakefulness."""
    args = ["--seed", "3", "--ticks", "7200", "--every", "600", "--set", "consciousness.rate=600",
            "--stimulus", "3000:keep_awake=60"]
    c = subprocess.run([SIM] + args + ["--trace", "-"], check=True, capture_output=True, text=True).stdout
    py = subprocess.run([os.environ.get("ANIMA_PYTHON", "/usr/bin/python3"), os.path.join(ROOT, "gen", "anima-gen"),
                         "run", os.environ.get("ANIMA_CATALOGUE", os.path.join(ROOT, "subsystems.yaml"))] + args,
                        check=True, capture_output=True, text=True, timeout=600).stdout
    rows = lambda text: [line for line in text.splitlines() if not line.startswith("#")]  # noqa: E731
    assert rows(py) == rows(c)
    pci = Trace(c)["consciousness.pci"]
    assert len(set(pci[1:])) > 3, pci  # the probes ran and gave different values


def test_the_index_does_not_read_the_stage():
    """Nothing the probe steps, and nothing within three couplings of it (the cortical and thalamic tone, the
    neuromodulators and what drives them), reads the scored sleep stage."""
    sys.path.insert(0, os.path.join(ROOT, "gen"))
    from anima_gen.cli import load_catalogue
    cat, _ = load_catalogue(os.environ.get("ANIMA_CATALOGUE", os.path.join(ROOT, "subsystems.yaml")))
    stage = next(v for v in cat.variables if v.full == "sleep.stage")

    def reads(e, out):
        if e is not None:
            if e.kind == "name" and e.ref is not None and e.ref[0] in ("var", "input"):
                it = e.ref[1]
                out.add(it if e.ref[0] == "var" else it.src)
            for a in e.args:
                reads(a, out)
        return out
    frontier = {v for s in cat.probe.advance for v in s.vars}
    seen = set(frontier)
    for _ in range(3):
        nxt = set()
        for v in frontier:
            nxt |= reads(v.rule, set())
        assert stage not in nxt
        frontier = nxt - seen
        seen |= nxt
