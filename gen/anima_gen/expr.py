"""The rule language: lexer, parser and the integer semantics shared by the range analysis, the C emitter
and the reference interpreter.

Semantics are C99 on int64: `/` truncates toward zero, `%` takes the sign of the dividend.
"""
import math
import re

INT64_MAX = (1 << 63) - 1
INT64_MIN_SAFE = -INT64_MAX  # INT64_MIN itself never occurs: so negation and x / -1 are always defined


class ExprError(Exception):
    def __init__(self, offset, message):
        super().__init__(message)
        self.offset = offset
        self.message = message


_LEAF = ()  # the arguments of every leaf: one shared empty tuple, not a list each (millions at scale)


class E:
    """An expression node. kind: num name bin un call list."""
    __slots__ = ("kind", "off", "value", "name", "op", "args", "ref", "lo", "hi", "info")

    def __init__(self, kind, off, **kw):
        self.kind = kind
        self.off = off
        self.value = kw.get("value")
        self.name = kw.get("name")
        self.op = kw.get("op")
        self.args = kw.get("args", _LEAF)
        self.ref = None  # resolved name: (kind, data)
        self.lo = self.hi = None
        self.info = None  # per-function data (tables, constants, call site)


_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<int>[0-9][0-9_]*)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>&&|\|\||<=|>=|==|!=|[-+*/%<>!(),\[\]])
""", re.X)


def tokenize(text):
    out = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            ch = text[i]
            if ch == "=":
                raise ExprError(i, "unexpected '=' (comparison is '==')")
            if ch in "&|":
                raise ExprError(i, "unexpected '%s' (logic is '&&' and '||'; there are no bit operators)" % ch)
            if ch == "." and i > 0:
                raise ExprError(i, "unexpected '.': another subsystem's variable is read through a declared input")
            raise ExprError(i, "unexpected character '%s'" % ch)
        kind = m.lastgroup
        if kind != "ws":
            tok = m.group(kind)
            if kind == "int":
                if tok.endswith("_") or "__" in tok:
                    raise ExprError(i, "malformed number '%s'" % tok)
                end = m.end()
                if end < len(text) and (text[end].isalpha() or text[end] == "."):
                    raise ExprError(end, "malformed number (integers only: no fractions, no suffixes)")
                out.append(("int", int(tok.replace("_", "")), i))
            else:
                out.append((kind, tok, i))
        i = m.end()
    out.append(("end", None, len(text)))
    return out


_BINARY_LEVELS = [
    ["||"],
    ["&&"],
    ["==", "!="],
    ["<", "<=", ">", ">="],
    ["+", "-"],
    ["*", "/", "%"],
]

MAX_DEPTH = 64  # parentheses and calls; deeper overflows Python's stack in the analysis, and C compilers' bracket nesting
MAX_NODES = 5000


class Parser:
    def __init__(self, text):
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0
        self.nodes = 0

    def peek(self):
        return self.toks[self.i]

    def take(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, value, what):
        t = self.peek()
        if t[0] != "op" or t[1] != value:
            got = "end of expression" if t[0] == "end" else "'%s'" % (t[1],)
            raise ExprError(t[2], "expected %s, found %s" % (what, got))
        return self.take()

    def node(self, *a, **kw):
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ExprError(a[1], "expression too large (more than %d nodes)" % MAX_NODES)
        return E(*a, **kw)

    def parse(self):
        if self.peek()[0] == "end":
            raise ExprError(0, "empty expression")
        e = self.binary(0)
        t = self.peek()
        if t[0] != "end":
            raise ExprError(t[2], "unexpected '%s' after a complete expression" % (t[1],))
        return e

    def binary(self, level):
        if level == len(_BINARY_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        ops = _BINARY_LEVELS[level]
        while True:
            t = self.peek()
            if t[0] == "op" and t[1] in ops:
                self.take()
                right = self.binary(level + 1)
                if level in (2, 3) and right is not None and self.peek()[0] == "op" and self.peek()[1] in ops:
                    raise ExprError(self.peek()[2], "chained comparison: write (a < b) && (b < c)")
                left = self.node("bin", t[2], op=t[1], args=[left, right])
            else:
                return left

    def unary(self):
        t = self.peek()
        if t[0] == "op" and t[1] in ("-", "!"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExprError(t[2], "expression nested too deeply")
            operand = self.unary()
            self.depth -= 1
            if t[1] == "-" and operand.kind == "num":
                operand.value = -operand.value
                operand.off = t[2]
                return operand
            return self.node("un", t[2], op=t[1], args=[operand])
        return self.primary()

    def primary(self):
        t = self.take()
        if t[0] == "int":
            if t[1] > INT64_MAX:
                raise ExprError(t[2], "integer literal out of the 64-bit range")
            return self.node("num", t[2], value=t[1])
        if t[0] == "name":
            if self.peek()[0] == "op" and self.peek()[1] == "(":
                self.take()
                args = []
                self.depth += 1
                if self.depth > MAX_DEPTH:
                    raise ExprError(t[2], "expression nested too deeply")
                if not (self.peek()[0] == "op" and self.peek()[1] == ")"):
                    while True:
                        args.append(self.argument())
                        if self.peek()[0] == "op" and self.peek()[1] == ",":
                            self.take()
                            continue
                        break
                self.expect(")", "',' or ')' in the arguments of %s()" % t[1])
                self.depth -= 1
                return self.node("call", t[2], name=t[1], args=args)
            return self.node("name", t[2], name=t[1])
        if t[0] == "op" and t[1] == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExprError(t[2], "expression nested too deeply")
            e = self.binary(0)
            self.depth -= 1
            self.expect(")", "')'")
            return e
        if t[0] == "end":
            raise ExprError(t[2], "expression ends where an operand is expected")
        raise ExprError(t[2], "expected an operand, found '%s'" % (t[1],))

    def argument(self):
        t = self.peek()
        if t[0] == "op" and t[1] == "[":
            self.take()
            items = [self.binary(0)]
            while self.peek()[0] == "op" and self.peek()[1] == ",":
                self.take()
                items.append(self.binary(0))
            self.expect("]", "']'")
            return self.node("list", t[2], args=items)
        return self.binary(0)


_PARSED = {}  # text -> tree (never handed out: each caller gets its own copy) or ExprError


def parse(text):
    """The tree of an expression. A catalogue of thousands of subsystems repeats the same rule texts (the same
    form, the same constants) many times: each text is parsed once, and every caller gets a fresh copy, since
    the range analysis annotates the nodes with what they mean in their subsystem."""
    hit = _PARSED.get(text)
    if hit is None:
        try:
            hit = Parser(text).parse()
        except ExprError as e:
            hit = e
        _PARSED[text] = hit
    if isinstance(hit, ExprError):
        raise ExprError(hit.offset, hit.message)
    return _copy(hit)


def _copy(e):
    if e.kind == "num":  # a literal means the same everywhere (the analysis gives it its value as its range)
        return e
    c = E.__new__(E)
    c.kind, c.off, c.value, c.name, c.op = e.kind, e.off, e.value, e.name, e.op
    c.args = [_copy(a) for a in e.args] if e.args else _LEAF
    c.ref = c.lo = c.hi = c.info = None
    return c


# ---------------------------------------------------------------------------------------------------------
# Integer semantics, shared by constant folding, tables and the reference interpreter.

def c_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def c_mod(a, b):
    return a - b * c_div(a, b)


def approach_k(every, half_life):
    k = int(math.floor(65536.0 * (1.0 - 2.0 ** (-float(every) / float(half_life))) + 0.5))
    return min(max(k, 1), 65536)


def approach(x, target, k):
    d = target - x
    q = c_div(d * k, 65536)
    if q == 0 and d != 0:
        q = 1 if d > 0 else -1
    return x + q


class Table:
    """A function sampled at 2^shift spacing from `lo`: y(x) = T[i] + (T[i+1]-T[i])*f/2^shift (C division)."""

    def __init__(self, lo, hi, shift, values):
        self.lo, self.hi, self.shift, self.values = lo, hi, shift, values

    def key(self):
        return (self.lo, self.hi, self.shift, tuple(self.values))


def make_table(fn, lo, hi, segments=64):
    span = hi - lo
    shift = 0
    while (span >> shift) > segments:
        shift += 1
    n = (span + (1 << shift) - 1) >> shift if span > 0 else 0
    values = []
    for i in range(n + 1):
        x = lo + (i << shift)
        values.append(int(math.floor(fn(x) + 0.5)))
    return Table(lo, lo + (n << shift), shift, values)


def table_eval(t, x):
    if x < t.lo:
        x = t.lo
    if x > t.hi:
        x = t.hi
    u = x - t.lo
    i = u >> t.shift
    if t.shift == 0:
        return t.values[i]
    if i >= len(t.values) - 1:
        return t.values[-1]
    f = u - (i << t.shift)
    return t.values[i] + c_div((t.values[i + 1] - t.values[i]) * f, 1 << t.shift)


def hill_fn(k, n):
    def f(x):
        if x <= 0:
            return 0.0
        r = (float(x) / float(k)) ** n
        return 1000.0 * r / (1.0 + r)
    return f


def sigmoid_fn(mid, width):
    def f(x):
        z = -(float(x) - float(mid)) / float(width)
        if z > 700:
            return 0.0
        return 1000.0 / (1.0 + math.exp(z))
    return f


def sine_fn(period, cos=False):
    def f(x):
        a = 2.0 * math.pi * float(x) / float(period)
        return 1000.0 * (math.cos(a) if cos else math.sin(a))
    return f


def is_constant(e):
    """True when the (analysed) node's value is fixed by the text: literals, enum names, `every`, and arithmetic
    on them. The range analysis and the C emitter fold such values the same way."""
    if e.kind == "num":
        return True
    if e.kind == "name":
        return e.ref is not None and e.ref[0] == "num"
    if e.kind in ("bin", "un"):
        return all(is_constant(a) for a in e.args)
    return False


MASK64 = (1 << 64) - 1


def mix64(z):
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def draw(seed, tick, sid, site):
    x = (seed + tick * 0x9E3779B97F4A7C15 + ((sid << 16) | site) * 0xD1B54A32D192ED03) & MASK64
    return mix64(x)


def noise(seed, tick, sid, site, a):
    h = draw(seed, tick, sid, site)
    return (((h >> 32) * (2 * a + 1)) >> 32) - a


def chance(seed, tick, sid, site, p):
    h = draw(seed, tick, sid, site)
    return 1 if (((h >> 32) * 1000) >> 32) < p else 0
