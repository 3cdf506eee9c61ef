"""Diagnostics: every problem as `FILE:LINE:COLUMN: error: MESSAGE`, collected so one run reports all."""


class Pos:
    __slots__ = ("line", "col")

    def __init__(self, line, col):
        self.line = line  # 1-based
        self.col = col  # 1-based

    def __repr__(self):
        return "%d:%d" % (self.line, self.col)


class Fatal(Exception):
    """Raised when a problem makes further checking meaningless (the file cannot be read at all)."""


class Diagnostics:
    def __init__(self, filename):
        self.filename = filename
        self.items = []  # (line, col, kind, message)
        self.seen = set()

    def error(self, pos, message):
        self._add(pos, "error", message)

    def warning(self, pos, message):
        self._add(pos, "warning", message)

    def _add(self, pos, kind, message):
        line, col = (pos.line, pos.col) if pos is not None else (1, 1)
        item = (line, col, kind, message)
        if item not in self.seen:
            self.seen.add(item)
            self.items.append(item)

    @property
    def errors(self):
        return [i for i in self.items if i[2] == "error"]

    def lines(self):
        ordered = sorted(self.items, key=lambda i: (i[0], i[1], i[2] != "error", i[3]))
        return ["%s:%d:%d: %s: %s" % (self.filename, l, c, k, m) for (l, c, k, m) in ordered]
