"""The rule language's built-ins, each declared once: its arity, range rule, C emission, interpreter semantics
and documentation. The range analysis (ranges.py), the C emitter (cgen.py), the reference interpreter
(interp.py), the catalogue reference (docs.py) and docs/catalogue.md (tools/regen-docs) all read this table, so
a new built-in is one entry here plus its tests.

A function's hooks:
- `ranges(an, e, args)`: the value range (lo, hi) of the call given its arguments' ranges (`a.lo`, `a.hi`);
  `an` is the analyser: `an.const(node, what, lo, hi)` demands a literal, `an.check(e, lo, hi)` refuses an
  intermediate that may overflow, `an.fail(node, message)` reports an error, `an.site(e)` numbers a random
  draw. Build-time data the other hooks need goes into `e.info`.
- `c(em, e, args, codes)`: the C for the call; `codes` are the arguments' C (list arguments left out).
- `run(it, e, ev)`: the value in the reference interpreter; `ev(node)` evaluates an argument, `it.seed`,
  `it.tick` and `it.sub` (the subsystem being stepped) are its context.
"""
from . import cgen as C
from . import expr as X

# --- built-in values -------------------------------------------------------------------------------------


class Value:
    def __init__(self, name, lo, hi, doc, run):
        self.name, self.lo, self.hi, self.doc, self.run = name, lo, hi, doc, run

    def c(self):
        return "c->%s" % self.name  # a field of struct anima_ctx (core/anima_rt.h)


VALUES = {v.name: v for v in [
    Value("tod", 0, 86399, "tick of day, 0..86399", lambda it: it.tick % 86400),
    Value("day", 0, (1 << 20) - 1, "day, 0..1048575", lambda it: min(it.tick // 86400, (1 << 20) - 1)),
    Value("env_mode", 0, 2, "0 normal, 1 dark, 2 light: the run's `--env`", lambda it: it.env),
]}
# `every` is a built-in too, but its value is the subsystem's period: a constant the analysis substitutes.

# --- built-in functions ----------------------------------------------------------------------------------


class Function:
    def __init__(self, name, form, doc, arity, ranges, c, run, words=None, lists=False, shareable=True):
        self.name = name
        self.form = form  # how it is written, for the docs
        self.doc = doc  # its meaning, Markdown, one line
        self.arity = arity  # (fewest, most or None, message when the count is wrong)
        self.ranges, self.c, self.run = ranges, c, run
        self.words = words  # a one-line reading for the catalogue reference, or None
        self.lists = lists  # takes literal points [x, y]
        self.shareable = shareable  # its C can live in a step function shared by subsystems of one form

    def doc_row(self):
        return "| `%s` | %s |" % (self.form, self.doc)


FUNCTIONS = {}


def function(name, form, doc, arity, **kw):
    def register(hooks):
        ranges, c, run = hooks()
        FUNCTIONS[name] = Function(name, form, doc, arity, ranges, c, run, **kw)
        return hooks
    return register


def exactly(n, what):
    return (n, n, "%%s() takes %s, given %%d" % what)


@function("min", "min(a, b, ...)", "smallest", (2, None, "%s() takes at least 2 arguments, given %d"))
def _min():
    def ranges(an, e, args):
        return min(a.lo for a in args), min(a.hi for a in args)

    def c(em, e, args, codes):
        return C.pick_balanced(C.pick_min, [(code, (arg.lo, arg.hi)) for code, arg in zip(codes, args)])
    return ranges, c, lambda it, e, ev: min(ev(a) for a in e.args)


@function("max", "max(a, b, ...)", "largest", (2, None, "%s() takes at least 2 arguments, given %d"))
def _max():
    def ranges(an, e, args):
        return max(a.lo for a in args), max(a.hi for a in args)

    def c(em, e, args, codes):
        return C.pick_balanced(C.pick_max, [(code, (arg.lo, arg.hi)) for code, arg in zip(codes, args)])
    return ranges, c, lambda it, e, ev: max(ev(a) for a in e.args)


@function("clamp", "clamp(x, lo, hi)", "`min(max(x, lo), hi)`", exactly(3, "3 arguments (x, lo, hi)"))
def _clamp():
    def ranges(an, e, args):
        x, lo, hi = args
        l1, h1 = max(x.lo, lo.lo), max(x.hi, lo.hi)
        return min(l1, hi.lo), min(h1, hi.hi)

    def c(em, e, args, codes):
        return C.clamp_code(*[v for code, arg in zip(codes, args) for v in (code, (arg.lo, arg.hi))])
    return ranges, c, lambda it, e, ev: min(max(ev(e.args[0]), ev(e.args[1])), ev(e.args[2]))


@function("abs", "abs(x)", "absolute value", exactly(1, "1 argument"))
def _abs():
    def ranges(an, e, args):
        a = args[0]
        lo = 0 if a.lo <= 0 <= a.hi else min(abs(a.lo), abs(a.hi))
        return lo, max(abs(a.lo), abs(a.hi))

    def c(em, e, args, codes):
        return codes[0] if args[0].lo >= 0 else "anima_abs(%s)" % codes[0]
    return ranges, c, lambda it, e, ev: abs(ev(e.args[0]))


@function("select", "select(c, a, b)", "`a` when `c` is non-zero, else `b`",
          exactly(3, "3 arguments (condition, then, else)"),
          words=lambda a: "when %s: %s; otherwise %s" % tuple(a))
def _select():
    def ranges(an, e, args):
        c, a, b = args
        if c.lo == c.hi and X.is_constant(c):  # a constant condition: only the chosen value counts
            pick = a if c.lo != 0 else b
            return pick.lo, pick.hi
        return min(a.lo, b.lo), max(a.hi, b.hi)

    def c(em, e, args, codes):
        cond = args[0]
        if cond.lo == cond.hi and X.is_constant(cond):  # as the analysis: gcc warns on a folded ?: (-Wbool-compare)
            return codes[1] if cond.lo != 0 else codes[2]
        return "(%s ? %s : %s)" % (C.truth(codes[0], cond), codes[1], codes[2])
    return ranges, c, lambda it, e, ev: ev(e.args[1]) if ev(e.args[0]) != 0 else ev(e.args[2])


def _approach_ranges(an, e, x, t, h):
    hl = an.const(h, "half-life", 1, 1 << 40)
    tlo, thi = (t.lo, t.hi) if t is not None else (0, 0)
    d = [tlo - x.hi, thi - x.lo]
    an.check(e, min(d) * 65536, max(d) * 65536)  # (target - x) * k, k <= 65536
    e.info = {"k": X.approach_k(an.sub.every, hl)}
    return min(x.lo, tlo), max(x.hi, thi)


@function("approach", "approach(x, target, h)",
          "one update's step of `x` toward `target` with half-life `h` ticks (a positive literal): "
          "`x + trunc((target-x)*K/65536)` with `K = round(65536*(1-2^(-every/h)))`, and at least one unit toward "
          "the target while they differ. So it converges exactly.",
          exactly(3, "3 arguments (x, target, half_life)"),
          words=lambda a: "moves toward %s with a half-life of %s s" % (a[1], a[2]))
def _approach():
    def c(em, e, args, codes):
        return "anima_approach(%s, %s, %s)" % (codes[0], codes[1], em.k(e.info["k"]))
    return (lambda an, e, args: _approach_ranges(an, e, *args), c,
            lambda it, e, ev: X.approach(ev(e.args[0]), ev(e.args[1]), e.info["k"]))


@function("decay", "decay(x, h)", "`approach(x, 0, h)`", exactly(2, "2 arguments (x, half_life)"),
          words=lambda a: "decays toward 0 with a half-life of %s s" % a[1])
def _decay():
    def c(em, e, args, codes):
        return "anima_approach(%s, 0, %s)" % (codes[0], em.k(e.info["k"]))
    return (lambda an, e, args: _approach_ranges(an, e, args[0], None, args[1]), c,
            lambda it, e, ev: X.approach(ev(e.args[0]), 0, e.info["k"]))


@function("curve", "curve(x, [x0, y0], [x1, y1], ...)",
          "piecewise linear through literal points (x increasing), flat outside them; each segment "
          "`y_i + (y_{i+1}-y_i)*(x-x_i)/(x_{i+1}-x_i)`",
          (3, None, "curve() takes x and at least 2 points [x, y]"), lists=True, shareable=False)
def _curve():
    def ranges(an, e, args):
        pts = []
        for p in e.args[1:]:
            if p.kind != "list" or len(p.args) != 2:
                an.fail(p, "a curve point must be [x, y]")
            px = an.const(p.args[0], "curve point x", -(1 << 40), 1 << 40)
            py = an.const(p.args[1], "curve point y", -(1 << 40), 1 << 40)
            if pts and px <= pts[-1][0]:
                an.fail(p, "curve points must have increasing x (%d after %d)" % (px, pts[-1][0]))
            pts.append((px, py))
        if e.args[0].kind == "list":
            an.fail(e.args[0], "curve()'s first argument is the input value, not a point")
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            an.check(e, -abs(y1 - y0) * (x1 - x0), abs(y1 - y0) * (x1 - x0))
        e.info = {"points": pts}
        ys = [p[1] for p in pts]
        return min(ys), max(ys)

    def c(em, e, args, codes):
        return "%s(%s)" % (em.helper_for_curve(e.info["points"]), codes[0])

    def run(it, e, ev):
        xv = ev(e.args[0])
        pts = e.info["points"]
        if xv <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            if xv < x1:
                return y0 + X.c_div((y1 - y0) * (xv - x0), x1 - x0)
        return pts[-1][1]
    return ranges, c, run


# Tables: a function of one argument sampled at build time over the argument's proven range (expr.make_table).

_TABLES = {}  # (function, its constants, lo, hi) -> Table: a large catalogue asks for the same ones many times


def _tabled(an, e, key, fn, lo, hi):
    if hi - lo > (1 << 40):
        an.fail(e, "argument range [%d, %d] is too wide for a table" % (lo, hi))
    t = _TABLES.get((key, lo, hi))
    if t is None:
        t = _TABLES[(key, lo, hi)] = X.make_table(fn, lo, hi)
    e.info = dict(e.info or {}, table=t)
    return min(t.values), max(t.values)


def _table_c(em, e, args, codes):
    return em.table_lookup(e.info["table"], codes[0], args[0].lo, args[0].hi)


@function("hill", "hill(x, k, n)", "`1000*x^n/(k^n+x^n)` for x >= 0 (0 below), literals k > 0, 1 <= n <= 8; 0..1000",
          exactly(3, "3 arguments (x, k, n)"),
          words=lambda a: "a Hill curve of %s (half at %s, steepness %s)" % tuple(a))
def _hill():
    def ranges(an, e, args):
        k = an.const(args[1], "hill constant k", 1, 1 << 40)
        n = an.const(args[2], "hill exponent n", 1, 8)
        return _tabled(an, e, ("hill", k, n), X.hill_fn(k, n), max(args[0].lo, 0), max(args[0].hi, 0))
    return ranges, _table_c, lambda it, e, ev: X.table_eval(e.info["table"], ev(e.args[0]))


@function("sigmoid", "sigmoid(x, mid, width)", "`1000/(1+e^(-(x-mid)/width))`, literals, width > 0; 0..1000",
          exactly(3, "3 arguments (x, mid, width)"),
          words=lambda a: "a sigmoid of %s (midpoint %s, width %s)" % tuple(a))
def _sigmoid():
    def ranges(an, e, args):
        mid = an.const(args[1], "sigmoid midpoint", -(1 << 40), 1 << 40)
        w = an.const(args[2], "sigmoid width", 1, 1 << 40)
        return _tabled(an, e, ("sigmoid", mid, w), X.sigmoid_fn(mid, w), args[0].lo, args[0].hi)
    return ranges, _table_c, lambda it, e, ev: X.table_eval(e.info["table"], ev(e.args[0]))


def _wave(cos):
    def ranges(an, e, args):
        x = args[0]
        per = an.const(args[1], "period", 2, 1 << 31)
        e.info = {"period": per}
        if x.lo < 0:
            an.check(e, x.lo - per, x.hi + per)  # (x % per + per) % per
        return _tabled(an, e, ("sine", per, cos), X.sine_fn(per, cos=cos), 0, per)

    def c(em, e, args, codes):
        per = e.info["period"]
        xa = args[0]
        kp = em.k(per)
        if xa.lo >= 0:
            arg = C.divide("%", codes[0], xa, kp, args[1])
        else:
            arg = "(%s %% %s + %s) %% %s" % (codes[0], kp, kp, kp)
        return em.table_lookup(e.info["table"], arg, 0, per - 1)
    return ranges, c, lambda it, e, ev: X.table_eval(e.info["table"], ev(e.args[0]) % e.info["period"])


@function("sine", "sine(x, period)", "`1000*sin(2*pi*x/period)`, literal period > 1; -1000..1000",
          exactly(2, "2 arguments (x, period)"), words=lambda a: "a sine wave of %s with period %s" % tuple(a))
def _sine():
    return _wave(False)


@function("cosine", "cosine(x, period)", "`1000*cos(2*pi*x/period)`, literal period > 1; -1000..1000",
          exactly(2, "2 arguments (x, period)"), words=lambda a: "a cosine wave of %s with period %s" % tuple(a))
def _cosine():
    return _wave(True)


@function("noise", "noise(a)",
          "a uniform integer in `[-a, a]` from the subsystem's own deterministic stream, `0 <= a <= 2147483647`",
          exactly(1, "1 argument (amplitude)"))
def _noise():
    def ranges(an, e, args):
        a = args[0]
        if a.lo < 0 or a.hi > (1 << 31) - 1:
            an.fail(e, "noise amplitude range [%d, %d] must lie within 0..2147483647" % (a.lo, a.hi))
        e.info = {"site": an.site(e)}
        return -a.hi, a.hi

    def c(em, e, args, codes):
        return "anima_noise(c, %s, %d, %s)" % (em.k(em.sub.index, ("sid",)), e.info["site"], codes[0])
    return ranges, c, lambda it, e, ev: X.noise(it.seed, it.tick, it.sub.index, e.info["site"], ev(e.args[0]))


@function("chance", "chance(p)", "1 with probability p/1000 on this update, else 0",
          exactly(1, "1 argument (probability in 1/1000)"))
def _chance():
    def ranges(an, e, args):
        e.info = {"site": an.site(e)}
        return 0, 1

    def c(em, e, args, codes):
        return "anima_chance(c, %s, %d, %s)" % (em.k(em.sub.index, ("sid",)), e.info["site"], codes[0])
    return ranges, c, lambda it, e, ev: X.chance(it.seed, it.tick, it.sub.index, e.info["site"], ev(e.args[0]))


RESERVED = set(VALUES) | {"every", "stimulus", "x"} | set(FUNCTIONS)


def doc_table():
    """The function rows of docs/catalogue.md's expression table (tools/regen-docs writes them there)."""
    return "\n".join(f.doc_row() for f in FUNCTIONS.values())
