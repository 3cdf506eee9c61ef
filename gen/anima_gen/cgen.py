"""Expressions to C. Every value is int64_t; the range analysis has proven that nothing overflows."""


def lit(v):
    if -(1 << 31) < v < (1 << 31):
        return "INT64_C(%d)" % v if v < 0 else "%d" % v
    return "INT64_C(%d)" % v


class Emitter:
    """Emits the C for one subsystem; collects the tables and curves its expressions need."""

    def __init__(self, sub, prefix):
        self.sub = sub
        self.in_handler = False  # a handler at tick T reads delayed inputs as of T-d, rules at t as of t-1-d
        self.prefix = prefix
        self.helpers = []  # C source of static inline helper functions
        self.tables = {}

    def helper_for_table(self, t):
        key = t.key()
        if key in self.tables:
            return self.tables[key]
        name = "%s_tab%d" % (self.prefix, len(self.tables))
        self.tables[key] = name
        n = len(t.values) - 1
        vals = ", ".join(str(v) for v in t.values)
        body = ["static inline int64_t %s(int64_t x)" % name, "{",
                "\tstatic const int32_t T[%d] = {%s};" % (n + 1, vals),
                "\tif (x < %s)" % lit(t.lo), "\t\tx = %s;" % lit(t.lo),
                "\tif (x > %s)" % lit(t.hi), "\t\tx = %s;" % lit(t.hi)]
        if t.shift == 0:
            body += ["\treturn T[x - %s];" % lit(t.lo)]
        else:
            body += ["\tint64_t u = x - %s;" % lit(t.lo),
                     "\tint64_t i = u >> %d;" % t.shift,
                     "\tif (i >= %d)" % n, "\t\treturn T[%d];" % n,
                     "\tint64_t f = u - (i << %d);" % t.shift,
                     "\treturn T[i] + ((int64_t)T[i + 1] - T[i]) * f / %s;" % lit(1 << t.shift)]
        body.append("}")
        self.helpers.append("\n".join(body))
        return name

    def helper_for_curve(self, pts):
        name = "%s_curve%d" % (self.prefix, len(self.helpers))
        body = ["static inline int64_t %s(int64_t x)" % name, "{",
                "\tif (x <= %s)" % lit(pts[0][0]), "\t\treturn %s;" % lit(pts[0][1])]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            body += ["\tif (x < %s)" % lit(x1),
                     "\t\treturn %s + %s * (x - %s) / %s;" % (lit(y0), lit(y1 - y0), lit(x0), lit(x1 - x0))]
        body += ["\treturn %s;" % lit(pts[-1][1]), "}"]
        self.helpers.append("\n".join(body))
        return name

    def c(self, e, x=None):
        k = e.kind
        if k == "num":
            return lit(e.value)
        if k == "name":
            kind, it = e.ref
            if kind == "var":
                return "v_%s" % it.name
            if kind == "param":
                return "p_%s" % it.name
            if kind == "input":
                return "i_%s" % it.name
            if kind == "builtin":
                return "c->%s" % it
            if kind == "stimulus":
                return "stimulus"
            if kind == "x":
                return x
            if kind == "num":
                return lit(it)
            raise AssertionError(kind)
        a = [self.c(arg, x) for arg in e.args if arg.kind != "list"]
        if k == "un":
            return "(%s%s)" % (e.op, a[0])
        if k == "bin":
            if e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||"):
                return "(int64_t)(%s %s %s)" % (a[0], e.op, a[1])
            return "(%s %s %s)" % (a[0], e.op, a[1])
        f = e.name
        if f in ("min", "max"):
            out = a[0]
            for b in a[1:]:
                out = "anima_%s(%s, %s)" % (f, out, b)
            return out
        if f == "clamp":
            return "anima_clamp(%s, %s, %s)" % tuple(a)
        if f == "abs":
            return "anima_abs(%s)" % a[0]
        if f == "select":
            return "(%s ? %s : %s)" % tuple(a)
        if f == "approach":
            return "anima_approach(%s, %s, %d)" % (a[0], a[1], e.info["k"])
        if f == "decay":
            return "anima_approach(%s, 0, %d)" % (a[0], e.info["k"])
        if f == "curve":
            return "%s(%s)" % (self.helper_for_curve(e.info["points"]), a[0])
        if f in ("hill", "sigmoid"):
            return "%s(%s)" % (self.helper_for_table(e.info["table"]), a[0])
        if f in ("sine", "cosine"):
            per = e.info["period"]
            xa = e.args[0]
            arg = "%s %% %s" % (a[0], lit(per)) if xa.lo >= 0 else "(%s %% %s + %s) %% %s" % (a[0], lit(per), lit(per), lit(per))
            return "%s(%s)" % (self.helper_for_table(e.info["table"]), arg)
        if f == "noise":
            return "anima_noise(c, %d, %d, %s)" % (self.sub.index, e.info["site"], a[0])
        if f == "chance":
            return "anima_chance(c, %d, %d, %s)" % (self.sub.index, e.info["site"], a[0])
        raise AssertionError(f)

    def input_value(self, i):
        if i.delay > 0:
            r = i.ring
            back = i.delay if self.in_handler else i.delay + 1
            src = "(int64_t)D[%d + ((c->tick - %d) & %d)]" % (r.offset, back, r.size - 1)
        else:
            src = "(int64_t)S[%d]" % i.src.slot
        if i.transform is not None:
            return self.c(i.transform, x=src)
        return src
