"""anima_trace: read an Anima trace, in pure Python (no third-party modules).

A trace is what `anima-sim --trace FILE` writes, or a captured COM1 log of the UEFI application:

    <boot noise: firmware text, ANSI escape sequences, CRs>   (only before the header; ignored)
    # comment lines (status, events, logs)                    (anywhere; kept as events)
    tick,subsystem.variable,...                               (the header: the first line starting 'tick,')
    0,123,...                                                 (integers only, one row per sample)

A UTF-8 byte-order mark at the start of the file is ignored.

Use:
    trace = anima_trace.read_trace(path)        # raises TraceError with a one-line message
    trace.column("body.temp")                   # array of ints, or None when the column is absent

The per-night sleep analysis and the daily means are not here: they are the summary of core/summary.c
(`anima-sim --summary FILE` during a run, `anima-sim --summarize TRACE` for a trace or COM1 log), the one
definition that tools/anima-report and tools/anima-sweep read.

The reader streams: its memory does not grow with the length of the trace (a 30-day `--every 1` trace is
1.8 GB of text). Everything exact is computed while reading, from every row: the row count and the sampling
step. The columns themselves are kept for drawing: every row while the trace has at most
`max_points` rows, beyond that each column is decimated to at most `max_points` points, two per bucket of
rows (the bucket's minimum and maximum, in the order they occurred), so a spike survives in a figure.
`Trace.decimated` says which; `Trace.bucket_rows` is the bucket size.

Time: one tick is one simulated second; tick 0 is midnight of day 0.
"""

import io
import re
from array import array
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter, sub
from typing import List, Optional

DAY = 86400
HOUR = 3600
MINUTE = 60
NOON = 12 * HOUR

STAGE_WAKE, STAGE_N1, STAGE_N2, STAGE_N3, STAGE_REM = 0, 1, 2, 3, 4
STAGE_NAMES = {0: "wake", 1: "N1", 2: "N2", 3: "N3", 4: "REM"}

# Defaults of the sleep analysis (all in seconds).

# Bounds of what the reader keeps in memory.
MAX_POINTS = 20000           # points kept per column for figures (above: min/max decimation)
MAX_EVENTS = 20000           # '#' lines kept as events (the rest are counted, and said so in a warning)
MAX_LINE = 1 << 20           # bytes; a longer line is noise before the header and an error after it
MAX_STEPS = 4096             # distinct tick differences counted for the median step
_CHUNK = 4096                # rows parsed before they are folded into the kept points

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_INT = re.compile(r"-?[0-9]+")
_TICK_IN_COMMENT = re.compile(r"\btick=(-?[0-9]+)\b")
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_INT64_DIGITS = 19           # a field of more digits than this may not fit in 64 bits
_BOM = "\ufeff"


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
    data: dict                              # kept column name -> array('q') of its points
    events: List[Event] = field(default_factory=list)
    header_line: int = 0                    # 1-based line number of the header
    noise_lines: int = 0                    # non-comment lines skipped before the header
    warnings: List[TraceError] = field(default_factory=list)  # problems that did not stop the reading
    rows: int = 0                           # rows read
    first_tick: Optional[int] = None
    last_tick: Optional[int] = None
    bucket_rows: int = 1                    # rows per pair of kept points when decimated (1: every row kept)
    events_dropped: int = 0                 # '#' lines beyond MAX_EVENTS, counted but not kept
    step_counts: Counter = field(default_factory=Counter)  # tick difference -> how often

    @property
    def ticks(self):
        """The ticks of the kept points (every row's tick unless the trace is decimated)."""
        return self.data["tick"]

    @property
    def decimated(self):
        return self.bucket_rows > 1

    def __len__(self):
        return self.rows

    def has(self, name):
        """Whether the trace has the column (kept or not)."""
        return name in self._index

    def column(self, name):
        """The kept points of a column, or None when the trace has no such column."""
        if name not in self._index:
            return None
        if name not in self.data:
            raise KeyError("column %r was not kept by read_trace(columns=...)" % name)
        return self.data[name]

    def __post_init__(self):
        self._index = {c: k for k, c in enumerate(self.columns)}

    def step(self):
        """The sampling interval in ticks (the median difference of successive ticks; 1 for < 2 rows)."""
        total = sum(self.step_counts.values())
        if not total:
            return 1
        seen = 0
        for diff in sorted(self.step_counts):
            seen += self.step_counts[diff]
            if seen > total // 2:
                return diff
        return 1  # not reached

    def end_tick(self):
        """The tick just after the last sample (last tick + one step); 0 for an empty trace."""
        return self.last_tick + self.step() if self.rows else 0


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


# ---------------------------------------------------------------------------------------------------------
# Reading

def _lines_of_file(f):
    """(line, complete) pairs of a binary file, lines as bytes split on b'\n' only (a CR is not a line end in
    a serial capture), one at a time, none longer than MAX_LINE bytes: the rest of an overlong line is skipped
    and the line is given as None."""
    while True:
        raw = f.readline(MAX_LINE)
        if not raw:
            return
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            while True:  # skip to the end of the overlong line, MAX_LINE bytes at a time
                more = f.readline(MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
            yield None, True
            continue
        complete = raw.endswith(b"\n")
        yield (raw[:-1] if complete else raw), complete


class _Reader:
    """Folds rows into a Trace, a chunk at a time (see the module's docstring for what is kept)."""

    def __init__(self, trace, keep, max_points):
        self.trace = trace
        cols = trace.columns
        self.keep = [0] + [k for k, c in enumerate(cols) if k and (keep is None or c in keep)]
        self.pick = itemgetter(*self.keep) if len(self.keep) > 1 else (lambda f: (f[0],))
        self.kept = [array("q") for _ in self.keep]
        for k, store in zip(self.keep, self.kept):
            trace.data[cols[k]] = store
        self.max_points = max(8, max_points)
        self.level = 0           # 0: one point per row; L >= 1: two points per 2**(L+1) rows
        self.chunk = []          # parsed rows (tuples of the kept columns) not yet folded in
        self.pending = []        # rows waiting for a whole bucket (level >= 1)

    def add(self, values):
        self.chunk.append(values)
        if len(self.chunk) >= _CHUNK:
            self.fold()

    def fold(self):
        rows = self.chunk
        if not rows:
            return
        self.chunk = []
        tr = self.trace
        cols = list(zip(*rows))
        ticks = cols[0]
        if tr.rows == 0:
            tr.first_tick = ticks[0]
            diffs = map(sub, ticks[1:], ticks[:-1])
        else:
            diffs = map(sub, ticks, (tr.last_tick,) + ticks[:-1])
        if len(tr.step_counts) < MAX_STEPS:
            tr.step_counts.update(diffs)
        tr.rows += len(rows)
        tr.last_tick = ticks[-1]
        if self.level == 0:
            for store, col in zip(self.kept, cols):
                store.extend(col)
        else:
            self.pending.extend(rows)
            self._bucket_pending(final=False)
        while len(self.kept[0]) > self.max_points:
            self._coarsen()

    def _bucket_pending(self, final):
        size = 2 ** (self.level + 1)
        rows = self.pending
        whole = len(rows) if final else len(rows) - len(rows) % size
        if not whole:
            return
        cols = list(zip(*rows[:whole]))
        del rows[:whole]
        for store, col in zip(self.kept, cols):
            _fold_groups(store, col, size, store is self.kept[0])

    def _coarsen(self):
        """Halve the kept points: each group of four becomes the group's min and max (ticks: 1st and 3rd)."""
        for k, store in enumerate(self.kept):
            old = store[:]
            del store[:]
            _fold_groups(store, old, 4, k == 0)
        self.level += 1
        self.trace.bucket_rows = 2 ** (self.level + 1)

    def finish(self):
        self.fold()
        if self.level:
            self._bucket_pending(final=True)


def _fold_groups(out, values, size, is_tick):
    """Append to `out` two points per group of `size` values: for ticks the group's first and middle tick,
    for a column its minimum and maximum in the order they came. Groups of one or two are kept as they are."""
    half = size // 2
    for s in range(0, len(values), size):
        seg = values[s:s + size]
        if len(seg) <= 2:
            out.extend(seg)
        elif is_tick:
            out.append(seg[0])
            out.append(seg[min(half, len(seg) - 1)])
        else:
            lo, hi = min(seg), max(seg)
            if seg.index(lo) <= seg.index(hi):
                out.append(lo)
                out.append(hi)
            else:
                out.append(hi)
                out.append(lo)


def _text(raw):
    return clean_line(raw.decode("utf-8", errors="replace"))


def _is_int_row(line):
    """Whether a row (bytes) is integers separated by commas and nothing else (-?[0-9]+(,-?[0-9]+)*), ten
    times faster than the regular expression on a 200-column row."""
    rest = line.replace(b",-", b",")
    if rest[:1] == b"-":
        rest = rest[1:]
    return (rest != b"" and rest[:1] != b"," and rest[-1:] != b"," and b",," not in rest
            and not rest.translate(None, b"0123456789,"))


def parse_lines(lines, name="<trace>", columns=None, max_points=MAX_POINTS):
    """Parse (bytes line, complete) pairs (see _lines_of_file); raises TraceError. `columns`: the names to
    keep for drawing (None: all; tick and the columns of the sleep analysis are always kept)."""
    keep = None if columns is None else set(columns) | {"sleep.stage", "body.temp", "cortisol.level"}
    events = []
    dropped = 0
    header = None
    noise = 0
    lineno = 0
    for raw, _complete in lines:
        lineno += 1
        if raw is None:
            noise += 1
            continue
        line = _text(raw)
        if lineno == 1 and line.startswith(_BOM):
            line = line[1:]
        line = line.strip()
        if line.startswith("#"):
            if len(events) < MAX_EVENTS:
                events.append(_event(lineno, line, None))
            else:
                dropped += 1
        elif line.startswith("tick,"):
            header = line
            break
        elif line:
            noise += 1
    if header is None:
        raise TraceError("not a trace (no header line starting with 'tick,')")
    header_line = lineno

    names = header.split(",")
    for c in names:
        if not c or c != c.strip():
            raise TraceError("bad header: empty or blank-padded column name", header_line)
    if len(set(names)) != len(names):
        dup = next(c for c in names if names.count(c) > 1)
        raise TraceError("bad header: column '%s' appears twice" % dup, header_line)
    header_bytes = header.encode("utf-8")
    ncol = len(names)
    trace = Trace(name=name, columns=names, data={}, header_line=header_line, noise_lines=noise)
    reader = _Reader(trace, keep, max_points)
    last = None
    for line, complete in lines:
        lineno += 1
        try:
            if line is None:
                raise TraceError("line longer than %d bytes" % MAX_LINE, lineno)
            if b"\r" in line or b"\x1b" in line:
                line = _text(line).encode("utf-8")
            line = line.strip()
            if not line:
                continue
            if line[0] == 35:  # '#'
                if len(events) < MAX_EVENTS:
                    events.append(_event(lineno, _text(line), last))
                else:
                    dropped += 1
                continue
            if line == header_bytes:
                continue  # the same header again (a resumed run after a reboot): the rows go on
            fields = line.split(b",")
            if len(fields) != ncol:
                raise TraceError("row has %d fields, the header has %d" % (len(fields), ncol), lineno)
            if not _is_int_row(line):
                _check_fields(_text(line).split(","), names, lineno)
            if max(map(len, fields)) >= _INT64_DIGITS:
                _check_range(fields, names, lineno)
            tick = int(fields[0])
            if last is not None and tick <= last:
                raise TraceError("tick %d does not follow tick %d (ticks must increase)" % (tick, last), lineno)
        except TraceError as e:
            if not complete:
                trace.warnings.append(TraceError("incomplete last line ignored (%s)" % e.message, lineno))
                break
            raise
        reader.add(tuple(map(int, reader.pick(fields))))
        last = tick
    reader.finish()
    trace.events = events
    trace.events_dropped = dropped
    if dropped:
        trace.warnings.append(TraceError("%d more '#' lines not kept as events (the first %d are)"
                                         % (dropped, MAX_EVENTS)))
    return trace


def parse_text(text, name="<trace>", columns=None, max_points=MAX_POINTS):
    """Parse the text of a trace; raises TraceError. See the module's docstring for the format."""
    return parse_lines(_lines_of_file(io.BytesIO(text.encode("utf-8", errors="surrogateescape"))),
                       name, columns, max_points)


def _check_fields(fields, columns, lineno):
    """Raise on the first field that is not an integer (blanks around a field are accepted)."""
    for k, f in enumerate(fields):
        if not _INT.fullmatch(f.strip()):
            shown = f if len(f) <= 20 else f[:20] + "..."
            raise TraceError("non-integer field %r in column '%s'" % (shown, columns[k]), lineno)


def _check_range(fields, columns, lineno):
    """Raise on the first field outside the 64-bit signed range."""
    for k, f in enumerate(fields):
        if len(f.strip().lstrip(b"-")) >= _INT64_DIGITS and not _INT64_MIN <= int(f) <= _INT64_MAX:
            raise TraceError("integer out of the 64-bit range in column '%s'" % columns[k], lineno)


def _event(lineno, line, last_tick):
    text = line[1:].strip()
    m = _TICK_IN_COMMENT.search(text)
    if m:
        return Event(lineno, int(m.group(1)), text, True)
    return Event(lineno, last_tick, text, False)


def read_trace(path, columns=None, max_points=MAX_POINTS):
    """Read and parse a trace file, streaming; raises TraceError (unreadable file, not a trace, bad row)."""
    try:
        with open(path, "rb") as f:
            return parse_lines(_lines_of_file(f), str(path), columns, max_points)
    except OSError as e:
        raise TraceError("cannot read: %s" % (e.strerror or e))
