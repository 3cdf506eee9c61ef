"""The range analysis: resolves the names of an expression and computes the value range of every node from
the declared ranges, refusing what may overflow 64 bits or divide by zero (docs/catalogue.md, "Range
analysis"). The ranges of built-in functions come from their entries in builtins.py."""
import difflib

from . import builtins as B
from . import expr as X


_BOUNDS = {}


class Analyser:
    """Resolves names and computes the value range of every node, refusing what may overflow."""

    def __init__(self, builder, sub):
        self.b = builder
        self.sub = sub
        self.refs = {}

    def run(self, e, node, what, mode, x=None, stimulus=None, target=None):
        self.node, self.what, self.mode, self.x, self.stim = node, what, mode, x, stimulus
        self.target = target
        self.ok = True
        self.visit(e)
        if not self.ok and mode != "transform":
            self.mark_read(e)
        return self.ok

    def mark_read(self, e):
        """After an error the analysis stops early: the inputs and variables the expression names still count as
        read, so no 'never read' warning follows the error."""
        if e.kind == "name":
            hit = self.sub.names.get(e.name)
            if hit is not None and hit[0] == "input":
                hit[1].used = True
            elif hit is not None and hit[0] == "variable" and hit[1] is not self.target and e.ref is None:
                hit[1].readers += 1  # (e.ref is set where the analysis counted it already)
        for a in e.args:
            self.mark_read(a)

    def fail(self, e, msg):
        self.b.err(self.b.pos_in(self.node, e.off), "in %s: %s" % (self.what, msg))
        self.ok = False
        raise _Stop()

    def visit(self, e):
        try:
            self._visit(e)
        except _Stop:
            pass

    def check(self, e, lo, hi):
        if lo < X.INT64_MIN_SAFE or hi > X.INT64_MAX:
            self.fail(e, "value may overflow 64 bits (range [%d, %d]); scale the operands down" % (lo, hi))
        intern = _BOUNDS.setdefault  # a few thousand distinct bounds, millions of nodes at scale: shared ints
        e.lo, e.hi = intern(lo, lo), intern(hi, hi)

    def _visit(self, e):
        k = e.kind
        if k == "num":
            return self.check(e, e.value, e.value)
        if k == "list":
            self.fail(e, "a list [..] is only allowed as a point of curve()")
        if k == "name":
            return self.name(e)
        for a in e.args:
            if a.kind == "list" and k == "call" and e.name in B.FUNCTIONS and B.FUNCTIONS[e.name].lists:
                for b in a.args:  # a curve point [x, y]: its coordinates are checked by call()
                    self._visit(b)
            else:
                self._visit(a)
        if k == "un":
            a = e.args[0]
            if e.op == "-":
                return self.check(e, -a.hi, -a.lo)
            return self.check(e, 0, 1)
        if k == "bin":
            return self.binary(e)
        if k == "call":
            return self.call(e)
        raise AssertionError(k)

    def ref(self, kind, it):
        """(kind, it), one tuple per name of the subsystem however often its rules name it."""
        r = self.refs.get(id(it))
        if r is None:
            r = self.refs[id(it)] = (kind, it)
        return r

    def name(self, e):
        n = e.name
        s = self.sub
        if self.mode == "transform":
            if n == "x":
                e.ref = ("x", None)
                return self.check(e, *self.x)
            hit = s.names.get(n)
            if hit and hit[0] == "parameter":
                e.ref = ("param", hit[1])
                return self.check(e, hit[1].lo, hit[1].hi)
            if n in B.VALUES:
                e.ref = ("builtin", n)
                return self.check(e, B.VALUES[n].lo, B.VALUES[n].hi)
            self.fail(e, "unknown name '%s' (a transform reads 'x', the subsystem's parameters and builtins)" % n)
        if n == "stimulus":
            if self.mode != "handler":
                self.fail(e, "'stimulus' is only defined in a stimulus handler")
            e.ref = ("stimulus", None)
            return self.check(e, *self.stim)
        if n == "x":
            self.fail(e, "'x' is only defined in an input's transform")
        if n in B.VALUES:
            e.ref = ("builtin", n)
            return self.check(e, B.VALUES[n].lo, B.VALUES[n].hi)
        if n == "every":
            e.ref = ("num", s.every)
            return self.check(e, s.every, s.every)
        hit = s.names.get(n)
        if hit is None:
            if n in B.FUNCTIONS:
                self.fail(e, "'%s' is a function: call it as %s(...)" % (n, n))
            other = [t for t in self.b.cat.subsystems if any(v.name == n for v in t.vars)]
            hint = ""
            if other:
                hint = "; to read %s.%s declare an input" % (other[0].name, n)
            else:
                near = difflib.get_close_matches(n, list(s.names) + list(B.VALUES), n=1)
                if near:
                    hint = " (did you mean '%s'?)" % near[0]
            self.fail(e, "unknown name '%s' in subsystem '%s'%s" % (n, s.name, hint))
        kind, it = hit
        if kind == "variable":
            e.ref = self.ref("var", it)
            if it is not self.target:  # a rule reading its own variable is persistence, not a use
                it.readers += 1
            return self.check(e, it.lo, it.hi)
        if kind == "parameter":
            e.ref = self.ref("param", it)
            return self.check(e, it.lo, it.hi)
        if kind == "input":
            if it.src is None:  # its declaration was reported already: one error, not a cascade
                self.ok = False
                raise _Stop()
            it.used = True
            e.ref = self.ref("input", it)
            return self.check(e, it.lo, it.hi)
        if kind == "enum":
            e.ref = ("num", it[1])
            return self.check(e, it[1], it[1])
        raise AssertionError(kind)

    def binary(self, e):
        a, b = e.args
        op = e.op
        if op == "+":
            return self.check(e, a.lo + b.lo, a.hi + b.hi)
        if op == "-":
            return self.check(e, a.lo - b.hi, a.hi - b.lo)
        if op == "*":
            c = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
            return self.check(e, min(c), max(c))
        if op in ("/", "%"):
            if b.lo <= 0 <= b.hi:
                self.fail(e, "divisor may be zero (its range is [%d, %d]); write max(d, 1) or similar" % (b.lo, b.hi))
            if op == "/":
                c = [X.c_div(p, q) for p in (a.lo, a.hi) for q in (b.lo, b.hi)]
                return self.check(e, min(c), max(c))
            m = max(abs(b.lo), abs(b.hi)) - 1
            lo = 0 if a.lo >= 0 else max(a.lo, -m)
            hi = 0 if a.hi <= 0 else min(a.hi, m)
            return self.check(e, lo, hi)
        return self.check(e, 0, 1)  # comparisons and logic

    def const(self, e, what, lo=None, hi=None):
        if e.lo != e.hi or not X.is_constant(e):
            self.fail(e, "%s must be a constant (a literal number)" % what)
        v = e.lo
        if (lo is not None and v < lo) or (hi is not None and v > hi):
            self.fail(e, "%s is %d, out of range %s..%s" % (what, v, lo if lo is not None else "", hi if hi is not None else ""))
        return v

    def call(self, e):
        f = e.name
        fn = B.FUNCTIONS.get(f)
        if fn is None:
            near = difflib.get_close_matches(f, sorted(B.FUNCTIONS), n=1)
            self.fail(e, "unknown function '%s'%s" % (f, " (did you mean '%s'?)" % near[0] if near else ""))
        for a in e.args:
            if a.kind == "list" and not fn.lists:
                self.fail(a, "a list [..] is only allowed as a point of curve()")
        n = len(e.args)
        fewest, most, message = fn.arity
        if n < fewest or (most is not None and n > most):
            self.fail(e, message % ((f, n) if message.count("%") == 2 else ()))
        args = [a for a in e.args if a.kind != "list"]
        return self.check(e, *fn.ranges(self, e, args))

    def site(self, e):
        s = self.sub
        s.sites += 1
        if s.sites > 0xFFFF:
            self.fail(e, "more than 65535 noise/chance calls in one subsystem")
        return s.sites - 1


class _Stop(Exception):
    pass
