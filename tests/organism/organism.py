"""Shared helpers for the organism tests: run anima-sim, parse its trace, and measure nights.

Every measure here is a plain function of the trace, so that the tests read as the phenomena they check."""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

DAY = 86400
HOUR = 3600
MINUTE = 60

SIM = os.environ.get("ANIMA_SIM", "build/anima-sim")
# Seeds 1-10 (each its own individual); ANIMA_SEEDS=11-20 runs the same tests on individuals nobody tuned on.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "tools"))
from anima_lists import parse_list  # noqa: E402
SEEDS = parse_list(os.environ.get("ANIMA_SEEDS", "1-10"), "ANIMA_SEEDS")
JOBS = 2                                # runs at a time in prefetch (the test machine has two cores)
# The columns the tests read: printing and parsing the other ~220 costs most of a run's time.
COLUMNS = ("sleep.*,circadian.*,melatonin.level,cortisol.level,body.temp,heart.rate,eeg.*,metabolism.*,insulin.level,"
           "drive.hunger,affect.*,mortality.awareness,immune.pathogen,life.*,adipose.fat,muscle.protein")


class Trace:
    """A parsed CSV trace: columns by name, the '#' lines, and how the run ended."""

    def __init__(self, text):
        self.comments = []
        rows = []
        header = None
        for line in text.splitlines():
            if not line or line.startswith("#"):
                if line:
                    self.comments.append(line)
                continue
            if header is None:
                header = line.split(",")
                continue
            rows.append([int(v) for v in line.split(",")])
        self.header = header
        self.col = {name: [r[i] for r in rows] for i, name in enumerate(header)}
        self.tick = self.col["tick"]
        self.every = self.tick[1] - self.tick[0] if len(self.tick) > 1 else 1

    def __getitem__(self, name):
        return self.col[name]

    def index(self, tick):
        """Index of the first row at or after tick."""
        i = (tick - self.tick[0] + self.every - 1) // self.every
        return max(0, min(i, len(self.tick)))

    def window(self, name, t0, t1):
        """(ticks, values) of the rows with t0 <= tick < t1."""
        i0, i1 = self.index(t0), self.index(t1)
        return self.tick[i0:i1], self.col[name][i0:i1]

    def end(self):
        for c in self.comments:
            if "end tick=" in c:
                return c
        return ""

    def died(self):
        return "reason=death" in self.end()


def run(seed, ticks, every=60, env=None, stimuli=(), extra=(), columns=COLUMNS, cache={}):
    """Runs anima-sim once per distinct argument set and keeps the parsed trace (the COLUMNS the tests read, or
    every column with columns=None)."""
    args = [SIM, "--seed", str(seed), "--ticks", str(ticks), "--every", str(every), "--trace", "-"] + list(extra)
    if columns:
        args += ["--columns", columns]
    if env:
        args += ["--env", env]
    for s in stimuli:
        args += ["--stimulus", s]
    key = tuple(args)
    if key not in cache:
        out = subprocess.run(args, check=True, capture_output=True, text=True, timeout=600)
        cache[key] = Trace(out.stdout + out.stderr)
    return cache[key]


def prefetch(runs_of, seeds=SEEDS):
    """Makes the runs that runs_of(seed) asks for, for every seed, JOBS at a time, into run()'s cache: a test
    module calls it once (a module-scoped fixture) so that the two cores run two seeds at once."""
    with ThreadPoolExecutor(JOBS) as pool:
        list(pool.map(runs_of, seeds))


def runs(lengths):
    """Episodes (start_tick, end_tick) where a boolean sequence holds, from (tick, flag) pairs."""
    eps, start = [], None
    for t, f in lengths:
        if f and start is None:
            start = t
        elif not f and start is not None:
            eps.append((start, t))
            start = None
    if start is not None:
        eps.append((start, lengths[-1][0] + 1))
    return eps


def merge(eps, gap):
    out = []
    for a, b in eps:
        if out and a - out[-1][1] <= gap:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


class Night:
    """The main sleep of the night that begins on the evening of `day` (window 18:00 .. next day 14:00)."""

    def __init__(self, tr, day):
        self.tr = tr
        self.day = day
        self.t0 = day * DAY + 18 * HOUR
        self.t1 = (day + 1) * DAY + 14 * HOUR
        ticks, stage = tr.window("sleep.stage", self.t0, self.t1)
        self.ticks, self.stage = ticks, stage
        eps = merge(runs(list(zip(ticks, [s != 0 for s in stage]))), 30 * MINUTE)
        self.episodes = eps
        if not eps:
            self.onset = self.offset = None
            return
        self.onset, self.offset = max(eps, key=lambda e: e[1] - e[0])
        self.asleep = sum(tr.every for t, s in zip(ticks, stage) if s != 0 and self.onset <= t < self.offset)
        self.outside = sum(tr.every for t, s in zip(ticks, stage) if s != 0 and not (self.onset <= t < self.offset))
        rem = [(t, s == 4) for t, s in zip(ticks, stage) if self.onset <= t < self.offset]
        self.rem_episodes = merge(runs(rem), 10 * MINUTE) if rem else []

    def clock(self, tick):
        """Hours since midnight of the night's first day (so 23:00 is 23.0 and 07:00 next day is 31.0)."""
        return (tick - self.day * DAY) / HOUR


def hm(hours):
    h = int(hours) % 24
    return "%02d:%02d" % (h, int(round((hours - int(hours)) * 60)) % 60)


def mean(xs):
    xs = list(xs)
    return sum(xs) / len(xs) if xs else float("nan")
