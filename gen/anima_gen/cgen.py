"""Expressions to C. Every value is int64_t; the range analysis has proven that nothing overflows.

The proven ranges also let the emitter leave out work whose outcome they already fix: a clamp or min/max side
that cannot bind, the sign fix-up of a division whose dividend is never negative, a table's guards for
arguments it cannot see. The C computes the same values as before, with fewer instructions.

The C of operators is here; the C of built-in functions is in their entries in builtins.py.
"""
import hashlib

from . import builtins as B


def lit(v):
    if -(1 << 31) < v < (1 << 31):
        return "INT64_C(%d)" % v if v < 0 else "%d" % v
    return "INT64_C(%d)" % v


def constant(e):
    """The value of a node that is a literal (or names one: an enum value, `every`), else None."""
    if e.kind == "num":
        return e.value
    if e.kind == "name" and e.ref is not None and e.ref[0] == "num":
        return e.ref[1]
    if e.kind == "un" and e.op == "-":
        v = constant(e.args[0])
        return None if v is None else -v
    return None


def pick_min(a, ra, b, rb):
    """C for min(a, b) given their ranges ra, rb (lo, hi); returns (code, range)."""
    rng = (min(ra[0], rb[0]), min(ra[1], rb[1]))
    if ra[1] <= rb[0]:
        return a, rng
    if rb[1] <= ra[0]:
        return b, rng
    return "anima_min(%s, %s)" % (a, b), rng


def pick_balanced(pick, items):
    """min()/max() of many (code, range) items as a balanced tree of pick_min/pick_max: the same value (both are
    associative), but nested log2(n) deep, not n, so a long argument list stays within the compilers' bracket
    nesting (clang: 256 levels). Returns the code."""
    while len(items) > 1:
        paired = [pick(a, ra, b, rb) for (a, ra), (b, rb) in zip(items[0::2], items[1::2])]
        items = paired + ([items[-1]] if len(items) % 2 else [])
    return items[0][0]


def pick_max(a, ra, b, rb):
    rng = (max(ra[0], rb[0]), max(ra[1], rb[1]))
    if ra[0] >= rb[1]:
        return a, rng
    if rb[0] >= ra[1]:
        return b, rng
    return "anima_max(%s, %s)" % (a, b), rng


def clamp_code(x, rx, lo, rlo, hi, rhi):
    """C for clamp(x, lo, hi) = min(max(x, lo), hi), leaving out the sides the ranges say cannot bind."""
    code, rng = pick_max(x, rx, lo, rlo)
    return pick_min(code, rng, hi, rhi)[0]


def clamp_store(code, e, lo, hi, k=lit):
    """A rule's or handler's value saturated to its variable's declared range [lo, hi]."""
    return clamp_code(code, (e.lo, e.hi), k(lo), (lo, lo), k(hi), (hi, hi))


def divide(op, a, ea, b, eb):
    """C for a / b or a % b (C99 semantics). With a dividend proven >= 0 and a divisor > 0 the quotient is the
    unsigned one: a shift or mask for a power of two, else the cheaper unsigned division, in 32 bits when both
    are proven below 2^32 (a division by a constant is then a 32-bit multiply and a shift, not a 64 x 64-bit
    multiply: 26,600 fewer instructions a tick at 32,983 synthetic subsystems, whose rules divide each input
    times a gain by 400)."""
    if ea.lo >= 0 and eb.lo > 0:
        v = constant(eb)
        if v is not None and v & (v - 1) == 0:
            if op == "/":
                return a if v == 1 else "(%s >> %d)" % (a, v.bit_length() - 1)
            return "(%s & %s)" % (a, lit(v - 1))
        if ea.hi < (1 << 32) and eb.hi < (1 << 32):
            return "(int64_t)((uint32_t)%s %s (uint32_t)%s)" % (a, op, b)
        return "(int64_t)((uint64_t)%s %s (uint64_t)%s)" % (a, op, b)
    return "(%s %s %s)" % (a, op, b)


def is_truth(e):
    """True when the expression's C is already 0 or 1 (a comparison or logic)."""
    return (e.kind == "bin" and e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||")) or \
        (e.kind == "un" and e.op == "!")


def truth(code, e):
    """The C of a value used as a condition. An integer in a boolean context is compared with 0 explicitly:
    gcc's -Wint-in-bool-context (in -Wall) refuses `!(c ? 5 : 7)` and `(a * b) && c` under -Werror."""
    return code if is_truth(e) else "(%s != 0)" % code


def narrow(t):
    """Whether table t's values fit 16 bits (shared step functions read it from anima_gen_table_data16)."""
    return all(-(1 << 15) <= v < (1 << 15) for v in t.values)


class Tables:
    """The build's lookup tables, each defined once in anima_gen_tables.c and named by its content, so that a
    table keeps its name (and the files that read it their text) whatever other tables come and go."""

    def __init__(self):
        self.by_name = {}

    def name(self, t):
        key = t.key()
        n = "anima_table_%s" % hashlib.sha256(repr(key).encode()).hexdigest()[:12]
        other = self.by_name.setdefault(n, t)
        assert other.key() == key, "table name collision"
        return n

    def sorted(self):
        return [(n, self.by_name[n]) for n in sorted(self.by_name)]


class CFile:
    """What one generated file defines besides its subsystems: helpers (each once) and the tables it reads."""

    def __init__(self, tables):
        self.tables = tables
        self.helpers = []
        self.lookups = {}
        self.declared = set()


class Emitter:
    """Emits the C for one subsystem; collects the tables and curves its expressions need."""

    def __init__(self, sub, prefix, shared_tables=None, cfile=None, gather=False):
        self.sub = sub
        self.in_handler = False  # a handler at tick T reads delayed inputs as of T-d, rules at t as of t-1-d
        self.prefix = prefix
        self.cfile = cfile if cfile is not None else CFile(Tables())
        self.helpers = self.cfile.helpers  # C source of static inline helper functions, one file's
        # Shape mode (shared_tables given): every number that differs between subsystems of the same form
        # becomes a placeholder, and locals are named by position, so that the text is the form itself.
        self.shape = shared_tables is not None
        self.shared_tables = shared_tables
        self.vals = []
        self.memo = {}
        self.shareable = True
        self.table_positions = []  # placeholders holding a table's offset (local index until shapes are decided)
        self.var_positions = []  # (placeholder, Var) for placeholders holding a variable's state slot
        # Gathered inputs (shape mode only): the rules read every input as a word of S at a constant of the
        # subsystem's own: a plain input (a state slot, no transform) its source's slot, any other the word
        # past the state (ANIMA_NVARS + its place) where the step's gather functions put it beforehand
        # (render.find_shapes). How an input is fetched (a state slot, a delay ring of either kind, a
        # transform) is then no part of the form, so subsystems that differ only in that share one step
        # function, and a plain input costs no gather.
        self.gathered = [] if gather else None
        self.input_positions = []  # (placeholder, index in gathered, or None for a plain input)

    def k(self, value, key=None):
        """A constant of this subsystem: a literal, or in shape mode a placeholder for it."""
        if not self.shape or not -(1 << 31) <= value < (1 << 31):
            return lit(value)
        if key is not None and key in self.memo:
            return self.memo[key]
        self.vals.append(value)
        token = "\x01%d\x02" % (len(self.vals) - 1)
        if key is not None:
            self.memo[key] = token
        return token

    def local(self, kind, it, items):
        if self.shape:
            return "%s%d" % (kind, items.index(it))
        return "%s_%s" % (kind, it.name)

    def vname(self, v):
        return self.local("v", v, self.sub.vars)

    def pname(self, p):
        return self.local("p", p, self.sub.params)

    def iname(self, i):
        return self.local("i", i, self.sub.inputs)

    def var_slot(self, v):
        n = len(self.vals)
        code = self.k(v.slot, ("var", v.slot))
        if len(self.vals) > n:
            self.var_positions.append((n, v))  # a slot: find_shapes takes it again after ordering the layout
        return code

    def param_index(self, p):
        return self.k(p.index, ("param", p.index))

    def shared_table(self, t, xlo, xhi):
        """The arguments of anima_table_at for table t after its x, an argument in [xlo, xhi]: its shape and
        which guards that range needs (which the members of a form usually share, so they become literals the
        compiler folds) and where its values are in the build's shared table data (a placeholder holding the
        table's index in this subsystem's own list until find_shapes makes it an offset)."""
        key = t.key()
        if key not in self.shared_tables:
            self.shared_tables[key] = (len(self.shared_tables), t)
        n = len(t.values) - 1
        rising = int(all(b >= a for a, b in zip(t.values, t.values[1:])))
        below, above = int(xlo < t.lo), int(xhi > t.lo + (n << t.shift))
        shape = [self.k(v) for v in (t.lo, t.shift, n, rising, below, above)]
        self.table_positions.append(len(self.vals))
        data = "anima_gen_table_data16" if narrow(t) else "anima_gen_table_data"
        return "%s, %s + %s" % (", ".join(shape), data, self.k(self.shared_tables[key][0]))

    def helper_for_table(self, t, xlo, xhi):
        """A table lookup for arguments in [xlo, xhi]: guards only for what that range can reach. The values
        are in anima_gen_tables.c, once per build; the lookup is defined once per file that uses it."""
        below, above, end = xlo < t.lo, xhi > t.hi, xhi >= t.hi
        data = self.cfile.tables.name(t)
        key = (data, below, above, end)
        if key in self.cfile.lookups:
            return self.cfile.lookups[key]
        name = "lookup%d" % len(self.cfile.lookups)
        self.cfile.lookups[key] = name
        n = len(t.values) - 1
        if data not in self.cfile.declared:
            self.cfile.declared.add(data)
            self.helpers.append("extern const int32_t %s[%d];" % (data, n + 1))
        body = ["static inline int64_t %s(int64_t x)" % name, "{",
                "\tconst int32_t *T = %s;" % data]
        if below:
            body += ["\tif (x < %s)" % lit(t.lo), "\t\tx = %s;" % lit(t.lo)]
        if above:
            body += ["\tif (x > %s)" % lit(t.hi), "\t\tx = %s;" % lit(t.hi)]
        if t.shift == 0:
            body += ["\treturn T[x - %s];" % lit(t.lo)]
        else:
            # (T[i+1]-T[i])*f with f >= 0: a shift divides it exactly as C does when no step goes down.
            rising = all(b >= a for a, b in zip(t.values, t.values[1:]))
            body += ["\tint64_t u = x - %s;" % lit(t.lo),
                     "\tint64_t i = u >> %d;" % t.shift]
            if end:
                body += ["\tif (i >= %d)" % n, "\t\treturn T[%d];" % n]
            body += ["\tint64_t f = u & %d; /* u >= 0 (guarded or proven): u - (i << %d) */" % ((1 << t.shift) - 1, t.shift)]
            if rising:
                body += ["\treturn T[i] + (((int64_t)T[i + 1] - T[i]) * f >> %d);" % t.shift]
            else:
                body += ["\treturn T[i] + ((int64_t)T[i + 1] - T[i]) * f / %s;" % lit(1 << t.shift)]
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
            return self.k(e.value)
        if k == "name":
            kind, it = e.ref
            if kind == "var":
                return self.vname(it)
            if kind == "param":
                return self.pname(it)
            if kind == "input":
                return self.iname(it)
            if kind == "builtin":
                return B.VALUES[it].c()
            if kind == "stimulus":
                return "stimulus"
            if kind == "x":
                return x
            if kind == "num":
                return self.k(it)
            raise AssertionError(kind)
        if k == "bin" and e.op in ("+", "-"):
            # A chain a + b - c + ... is written flat: C groups it from the left exactly as the tree does, and
            # a sum of hundreds of terms stays within the compilers' bracket nesting (clang: 256 levels).
            rights = []
            node = e
            while node.kind == "bin" and node.op in ("+", "-"):
                rights.append((node.op, node.args[1]))
                node = node.args[0]
            out = self.c(node, x)
            for op, r in reversed(rights):
                out += " %s %s" % (op, self.c(r, x))
            return "(%s)" % out
        args = [arg for arg in e.args if arg.kind != "list"]
        a = [self.c(arg, x) for arg in args]
        if k == "un":
            if e.op == "!" and not is_truth(args[0]):
                return "(int64_t)(%s == 0)" % a[0]
            return "(%s%s)" % (e.op, a[0])
        if k == "bin":
            if e.op in ("&&", "||"):
                return "(int64_t)(%s %s %s)" % (truth(a[0], args[0]), e.op, truth(a[1], args[1]))
            if e.op in ("<", "<=", ">", ">=", "==", "!="):
                return "(int64_t)(%s %s %s)" % (a[0], e.op, a[1])
            if e.op in ("/", "%"):
                return divide(e.op, a[0], args[0], a[1], args[1])
            return "(%s %s %s)" % (a[0], e.op, a[1])
        fn = B.FUNCTIONS[e.name]
        if not fn.shareable:
            self.shareable = False  # e.g. a curve's points stay in its own helper
        return fn.c(self, e, args, a)

    def table_lookup(self, t, code, xlo, xhi):
        """C for table t at `code`, an argument in [xlo, xhi]."""
        if self.shape:
            return "anima_table_at%s(%s, %s)" % ("16" if narrow(t) else "", code, self.shared_table(t, xlo, xhi))
        return "%s(%s)" % (self.helper_for_table(t, xlo, xhi), code)

    def input_value(self, i):
        if self.gathered is not None:
            # A placeholder of its own (no memo): an input from the subsystem's own variable still has the
            # form of one from any other. find_shapes sets the values once the layout is final.
            n = len(self.vals)
            if i.delay == 0 and i.transform is None:
                code = self.k(i.src.slot)
                self.var_positions.append((n, i.src))
                self.input_positions.append((n, None))
            else:
                code = self.k(0)
                self.input_positions.append((n, len(self.gathered)))
                self.gathered.append(i)
            return "(int64_t)S[%s]" % code
        return self.input_source(i)

    def input_source(self, i):
        """C for input i's value: its source now or d ticks ago, through its transform."""
        if i.delay > 0:
            r = i.ring
            back = i.delay if self.in_handler else i.delay + 1
            src = "(int64_t)D[%s]" % r.entry_code(back, self.k, shared=self.shape)
        else:
            src = "(int64_t)S[%s]" % self.var_slot(i.src)
        if i.transform is not None:
            return self.c(i.transform, x=src)
        return src
