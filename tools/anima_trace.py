"""anima_trace: read an Anima trace and analyse its sleep, in pure Python (no third-party modules).

A trace is what `anima-sim --trace FILE` writes, or a captured COM1 log of the UEFI application:

    <boot noise: firmware text, ANSI escape sequences, CRs>   (only before the header; ignored)
    # comment lines (status, events, logs)                    (anywhere; kept as events)
    tick,subsystem.variable,...                               (the header: the first line starting 'tick,')
    0,123,...                                                 (integers only, one row per sample)

Use:
    trace = anima_trace.read_trace(path)        # raises TraceError with a one-line message
    trace.column("body.temp")                   # array of ints, or None when the column is absent
    anima_trace.nights(trace)                   # per-night sleep analysis (list of Night)

Time: one tick is one simulated second; tick 0 is midnight of day 0.
"""

import re
from array import array
from dataclasses import dataclass, field
from typing import List, Optional

DAY = 86400
HOUR = 3600
MINUTE = 60
NOON = 12 * HOUR

STAGE_WAKE, STAGE_N1, STAGE_N2, STAGE_N3, STAGE_REM = 0, 1, 2, 3, 4
STAGE_NAMES = {0: "wake", 1: "N1", 2: "N2", 3: "N3", 4: "REM"}

# Defaults of the sleep analysis (all in seconds).
WAKE_GAP = 30 * MINUTE       # awakenings up to this long stay inside one sleep episode
REM_MERGE = 15 * MINUTE      # REM runs closer than this form one REM period
MIN_NREM_BEFORE_REM = 15 * MINUTE  # a REM period closes a cycle when this much NREM came before it

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_ROW = re.compile(r"-?[0-9]+(?:,-?[0-9]+)*")
_INT = re.compile(r"-?[0-9]+")
_TICK_IN_COMMENT = re.compile(r"\btick=(-?[0-9]+)\b")


class TraceError(Exception):
    """A trace that cannot be read. `line` is the 1-based line number, or None for the whole file."""

    def __init__(self, message, line=None):
        super().__init__(message)
        self.message = message
        self.line = line

    def format(self, name):
        """The one-line error: 'NAME:LINE: message' or 'NAME: message'."""
        where = "%s:%d" % (name, self.line) if self.line is not None else name
        return "%s: %s" % (where, self.message)


@dataclass
class Event:
    line: int                 # 1-based line number in the file
    tick: Optional[int]       # the tick the event belongs to, None when unknown (before the first row)
    text: str                 # the comment without its leading '#' and surrounding blanks
    explicit: bool = False    # True when the tick came from a 'tick=N' in the text itself


@dataclass
class Trace:
    name: str
    columns: List[str]                      # header names, 'tick' first
    data: dict                              # column name -> array('q') (or list) of values
    events: List[Event] = field(default_factory=list)
    header_line: int = 0                    # 1-based line number of the header
    noise_lines: int = 0                    # non-comment lines skipped before the header
    warnings: List[TraceError] = field(default_factory=list)  # problems that did not stop the reading

    @property
    def ticks(self):
        return self.data["tick"]

    def __len__(self):
        return len(self.data["tick"])

    def has(self, name):
        return name in self.data

    def column(self, name):
        return self.data.get(name)

    def step(self):
        """The sampling interval in ticks (the median difference of successive ticks; 1 for < 2 rows)."""
        t = self.ticks
        if len(t) < 2:
            return 1
        diffs = sorted(t[i + 1] - t[i] for i in range(len(t) - 1))
        return diffs[len(diffs) // 2]

    def end_tick(self):
        """The tick just after the last sample (last tick + one step); 0 for an empty trace."""
        return self.ticks[-1] + self.step() if len(self) else 0


def clean_line(line):
    """Remove ANSI escape sequences and carriage returns (what a serial capture adds)."""
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if "\r" in line:
        line = line.replace("\r", "")
    return line


def fmt_tick(tick):
    """'d1 07:30:00' for tick 113400 (day 1, 07:30:00)."""
    if tick is None:
        return "-"
    day, rest = divmod(int(tick), DAY)
    return "d%d %02d:%02d:%02d" % (day, rest // HOUR, rest % HOUR // MINUTE, rest % MINUTE)


def fmt_duration(seconds):
    """'7h05' for 25500 s."""
    if seconds is None:
        return "-"
    minutes = int(round(seconds / MINUTE))
    return "%dh%02d" % (minutes // 60, minutes % 60)


def parse_text(text, name="<trace>"):
    """Parse the text of a trace; raises TraceError. See the module's docstring for the format."""
    lines = text.split("\n")
    complete_end = text.endswith("\n")
    if complete_end:
        lines.pop()  # the empty string after the final newline
    events = []
    header = None
    header_line = 0
    noise = 0
    i = 0
    for i, raw in enumerate(lines):
        line = clean_line(raw).strip()
        if line.startswith("#"):
            events.append(_event(i + 1, line, None))
        elif line.startswith("tick,"):
            header = line
            header_line = i + 1
            break
        elif line:
            noise += 1
    if header is None:
        raise TraceError("not a trace (no header line starting with 'tick,')")

    columns = header.split(",")
    for c in columns:
        if not c or c != c.strip():
            raise TraceError("bad header: empty or blank-padded column name", header_line)
    if len(set(columns)) != len(columns):
        dup = next(c for c in columns if columns.count(c) > 1)
        raise TraceError("bad header: column '%s' appears twice" % dup, header_line)
    ncol = len(columns)
    store = [array("q") for _ in columns]
    trace = Trace(name=name, columns=columns, data=dict(zip(columns, store)),
                  header_line=header_line, noise_lines=noise)
    last = None
    nlines = len(lines)
    for j in range(header_line, nlines):
        line = lines[j]
        if "\r" in line or "\x1b" in line:
            line = clean_line(line)
        line = line.strip()
        if not line:
            continue
        if line[0] == "#":
            events.append(_event(j + 1, line, last))
            continue
        if line == header:
            continue  # the same header again (a resumed run after a reboot): the rows go on
        try:
            fields = line.split(",")
            if len(fields) != ncol:
                raise TraceError("row has %d fields, the header has %d" % (len(fields), ncol), j + 1)
            if not _ROW.fullmatch(line):
                _check_fields(fields, columns, j + 1)
            vals = [int(f) for f in fields]
            tick = vals[0]
            if last is not None and tick <= last:
                raise TraceError("tick %d does not follow tick %d (ticks must increase)" % (tick, last), j + 1)
            k = 0
            try:
                for k in range(ncol):
                    store[k].append(vals[k])
            except OverflowError:
                for kk in range(k):  # undo the partial row
                    store[kk].pop()
                raise TraceError("integer out of the 64-bit range in column '%s'" % columns[k], j + 1)
        except TraceError as e:
            if j == nlines - 1 and not complete_end:
                trace.warnings.append(TraceError("incomplete last line ignored (%s)" % e.message, j + 1))
                break
            raise
        last = tick
    trace.events = events
    return trace


def _check_fields(fields, columns, lineno):
    """Raise on the first field that is not an integer (blanks around a field are accepted)."""
    for k, f in enumerate(fields):
        if not _INT.fullmatch(f.strip()):
            shown = f if len(f) <= 20 else f[:20] + "..."
            raise TraceError("non-integer field %r in column '%s'" % (shown, columns[k]), lineno)


def _event(lineno, line, last_tick):
    text = line[1:].strip()
    m = _TICK_IN_COMMENT.search(text)
    if m:
        return Event(lineno, int(m.group(1)), text, True)
    return Event(lineno, last_tick, text, False)


def read_trace(path):
    """Read and parse a trace file; raises TraceError (unreadable file, not a trace, bad row)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise TraceError("cannot read: %s" % (e.strerror or e))
    return parse_text(raw.decode("utf-8", errors="replace"), str(path))


# ---------------------------------------------------------------------------------------------------------
# Sleep analysis

@dataclass
class Episode:
    """A sleep episode: sleep samples with awakenings of at most `wake_gap` seconds between them."""
    start: int                # index of its first sample
    stop: int                 # index just after its last sleep sample
    onset: int                # tick of sleep onset
    wake: int                 # tick of the final awakening (first wake sample after it, or end of trace)
    asleep: int               # seconds asleep (stages 1..4) inside the episode
    n3: int                   # seconds in N3
    rem: int                  # seconds in REM
    cycles: int               # NREM/REM cycles (see nrem_rem_cycles)
    began_before: bool        # the trace starts asleep: the real onset is earlier
    ended_after: bool         # the trace ends asleep: the real wake is later

    @property
    def duration(self):
        return self.wake - self.onset


@dataclass
class Night:
    """Noon of day `day` to noon of day `day + 1`; sleep assigned to it by its onset."""
    day: int
    window_start: int
    window_end: int
    covered_from: int         # the part of the window the trace covers
    covered_to: int
    main: Optional[Episode]   # the longest sleep episode beginning in the window
    others: List[Episode]     # naps and other episodes beginning in the window
    temp_min: Optional[int] = None       # body.temp units (centidegrees above 34 C)
    temp_min_tick: Optional[int] = None
    cortisol_peak: Optional[int] = None
    cortisol_peak_tick: Optional[int] = None

    @property
    def label(self):
        return "d%d/d%d" % (self.day, self.day + 1)

    @property
    def partial_window(self):
        return self.covered_from > self.window_start or self.covered_to < self.window_end

    def notes(self):
        out = []
        if self.partial_window:
            out.append("trace covers %s..%s of this night" % (fmt_tick(self.covered_from), fmt_tick(self.covered_to)))
        if self.main is not None:
            if self.main.began_before:
                out.append("asleep when the trace begins")
            if self.main.ended_after:
                out.append("asleep when the trace ends")
        if self.others:
            out.append("%d other episode%s" % (len(self.others), "" if len(self.others) == 1 else "s"))
        return out


def _durations(ticks, step):
    """Seconds each sample stands for: up to the next sample; the last one gets `step`."""
    n = len(ticks)
    return [ticks[i + 1] - ticks[i] for i in range(n - 1)] + ([step] if n else [])


def sleep_episodes(trace, wake_gap=WAKE_GAP, rem_merge=REM_MERGE, min_nrem=MIN_NREM_BEFORE_REM):
    """All sleep episodes of the trace (requires 'sleep.stage'; [] without it)."""
    stage = trace.column("sleep.stage")
    if stage is None or not len(trace):
        return []
    ticks = trace.ticks
    step = trace.step()
    dur = _durations(ticks, step)
    n = len(ticks)
    end_tick = ticks[-1] + step
    # bouts of uninterrupted sleep
    bouts = []
    i = 0
    while i < n:
        if 1 <= stage[i] <= 4:
            j = i
            while j < n and 1 <= stage[j] <= 4:
                j += 1
            bouts.append([i, j])
            i = j
        else:
            i += 1
    # merge bouts separated by short awakenings
    merged = []
    for b in bouts:
        if merged and ticks[b[0]] - ticks[merged[-1][1]] <= wake_gap:
            merged[-1][1] = b[1]
        else:
            merged.append(b)
    out = []
    for a, b in merged:
        asleep = n3 = rem = 0
        for k in range(a, b):
            s = stage[k]
            if 1 <= s <= 4:
                asleep += dur[k]
                if s == STAGE_N3:
                    n3 += dur[k]
                elif s == STAGE_REM:
                    rem += dur[k]
        out.append(Episode(
            start=a, stop=b, onset=ticks[a], wake=ticks[b] if b < n else end_tick,
            asleep=asleep, n3=n3, rem=rem,
            cycles=nrem_rem_cycles(ticks, stage, dur, a, b, rem_merge, min_nrem),
            began_before=(a == 0), ended_after=(b == n)))
    return out


def nrem_rem_cycles(ticks, stage, dur, a, b, rem_merge=REM_MERGE, min_nrem=MIN_NREM_BEFORE_REM):
    """NREM/REM cycles in samples [a, b): the REM periods (REM runs less than `rem_merge` apart are one
    period) that follow at least `min_nrem` seconds of NREM (N1..N3) since the previous REM period."""
    cycles = 0
    nrem = 0
    last_rem_end = None
    for k in range(a, b):
        s = stage[k]
        if s == STAGE_REM:
            if last_rem_end is not None and ticks[k] - last_rem_end < rem_merge:
                pass  # the same REM period goes on
            elif nrem >= min_nrem:
                cycles += 1
            nrem = 0
            last_rem_end = ticks[k] + dur[k]
        elif 1 <= s <= 3:
            nrem += dur[k]
    return cycles


def nights(trace, wake_gap=WAKE_GAP, rem_merge=REM_MERGE, min_nrem=MIN_NREM_BEFORE_REM):
    """One Night per noon-to-noon window the trace touches, with its main sleep (the longest episode whose
    onset lies in the window), the body-temperature minimum and the cortisol peak inside the window."""
    n = len(trace)
    if not n:
        return []
    ticks = trace.ticks
    first, end = ticks[0], trace.end_tick()
    episodes = sleep_episodes(trace, wake_gap, rem_merge, min_nrem)
    temp = trace.column("body.temp")
    cort = trace.column("cortisol.level")
    out = []
    day = (first - NOON) // DAY
    k = 0  # sample index
    e = 0  # episode index
    while day * DAY + NOON < end:
        w0 = day * DAY + NOON
        w1 = w0 + DAY
        night = Night(day=day, window_start=w0, window_end=w1,
                      covered_from=max(w0, first), covered_to=min(w1, end), main=None, others=[])
        mine = []
        while e < len(episodes) and episodes[e].onset < w1:
            if episodes[e].onset >= w0:
                mine.append(episodes[e])
            e += 1
        if mine:
            night.main = max(mine, key=lambda ep: (ep.duration, -ep.onset))
            night.others = [ep for ep in mine if ep is not night.main]
        while k < n and ticks[k] < w0:
            k += 1
        k0 = k
        while k < n and ticks[k] < w1:
            k += 1
        if k > k0:
            if temp is not None:
                i = min(range(k0, k), key=lambda i: (temp[i], i))
                night.temp_min, night.temp_min_tick = temp[i], ticks[i]
            if cort is not None:
                i = min(range(k0, k), key=lambda i: (-cort[i], i))
                night.cortisol_peak, night.cortisol_peak_tick = cort[i], ticks[i]
        out.append(night)
        day += 1
    return out


def temp_celsius(v):
    """body.temp units to degrees Celsius: 34 + v/100."""
    return 34 + v / 100.0
