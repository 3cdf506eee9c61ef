"""The reference interpreter: runs a catalogue's model directly, in Python, with the language's integer
semantics (docs/catalogue.md). It shares the model and the build-time tables with the C renderer but none of
its code: no layout, no generated C, no engine. Tests require its traces to equal anima-sim's."""
from . import builtins as B
from . import expr as X
from . import probe as PR
from .traits import individual_params


class Interpreter:
    def __init__(self, cat, seed=1, env=0, sets=(), individual=None):
        self.cat = cat
        self.seed = seed
        self.env = env
        self.tick = 0
        self.state = {v: v.init for v in cat.variables}
        # The individual is drawn first; --set overrides a drawn trait like any parameter.
        self.params = individual_params(cat, seed if individual is None else individual)
        for p, value in sets:
            self.params[p] = value
        self.history = {}  # delayed sources: {var: {tick: value}}
        self.max_delay = {}
        for i in cat.couplings:
            if i.src is not None and i.delay:
                self.max_delay[i.src] = max(self.max_delay.get(i.src, 0), i.delay)
        for v in self.max_delay:
            self.history[v] = {}
        self.record()

    # --- time --------------------------------------------------------------------------------------------
    def record(self):
        for v, h in self.history.items():
            h[self.tick] = self.state[v]
            h.pop(self.tick - self.max_delay[v] - 2, None)

    def past(self, var, t):
        if t < 0:
            return var.init
        return self.history[var][t]

    def step(self):
        self.tick += 1
        t = self.tick
        updates = {}
        for s in self.cat.subsystems:
            if t % s.every != s.phase:
                continue
            for v in s.vars:
                if v.rule is not None:
                    val = self.eval(v.rule, s, delay_base=t - 1)
                    updates[v] = min(max(val, v.lo), v.hi)
        self.state.update(updates)  # all rules of tick t read t-1: commit only now
        self.record()
        self.probe()

    # --- the probe (docs/catalogue.md 'probe'; core/probe.c is the compiled twin) -------------------------
    def probe(self):
        p = self.cat.probe
        if p is None:
            return
        every = self.params[p.every_param] if p.every_param is not None else p.every
        t = self.tick
        if t % p.step_every != p.step_phase % p.step_every or every <= 0 or t % every != p.phase % every:
            return
        real_tick, real_state = self.tick, self.state

        def step(copy, tick):
            self.tick, self.state = tick, copy
            updates = {}
            for s in p.advance:
                for v in s.vars:
                    if v.rule is not None:
                        updates[v] = min(max(self.eval(v.rule, s, delay_base=tick - 1), v.lo), v.hi)
            copy.update(updates)

        def next_tick(t):
            d = (p.step_phase + p.step_every - t % p.step_every) % p.step_every
            return t + (d or p.step_every)

        cf = dict(real_state)
        history = []
        for _ in range(p.baseline):
            t = next_tick(t)
            step(cf, t)
            history.append([cf[v] for v in p.observe])
        thr = []
        for r in range(len(p.observe)):
            xs = [h[r] for h in history]
            mean = X.c_div(sum(xs), p.baseline)
            dev = sum(abs(x - mean) for x in xs)
            thr.append(max(X.c_div(dev * p.threshold, 10 * p.baseline), p.floor))
        kicked = dict(cf)
        for v, amount in p.perturb:
            kicked[v] = min(max(kicked[v] + amount, v.lo), v.hi)
        matrix = [[0] * p.window for _ in p.observe]
        for w in range(p.window):
            t = next_tick(t)
            step(kicked, t)
            step(cf, t)
            for r, v in enumerate(p.observe):
                matrix[r][w] = int(abs(kicked[v] - cf[v]) > thr[r])
        self.tick, self.state = real_tick, real_state
        self.state[p.into] = PR.pci(matrix)

    def stimulus(self, st, value):
        updates = {}
        for s in self.cat.subsystems:
            for h in s.handlers:
                if h.stim is st:
                    val = self.eval(h.expr, s, delay_base=self.tick, stim=value)
                    updates[h.var] = min(max(val, h.var.lo), h.var.hi)
        self.state.update(updates)
        self.record()

    def alive(self):
        return self.cat.alive is None or self.state[self.cat.alive] != 0

    def cause(self):
        c = self.cat.cause
        if c is None:
            return "unknown"
        v = self.state[c]
        return c.values[v] if 0 <= v < len(c.values) else "unknown"

    # --- expressions -------------------------------------------------------------------------------------
    def input_value(self, i, s, delay_base):
        raw = self.past(i.src, delay_base - i.delay) if i.delay else self.state[i.src]
        if i.transform is None:
            return raw
        return self.eval(i.transform, s, delay_base, x=raw)

    def eval(self, e, s, delay_base, stim=None, x=None):
        k = e.kind
        if k == "num":
            return e.value
        if k == "name":
            kind, it = e.ref
            if kind == "var":
                return self.state[it]
            if kind == "param":
                return self.params[it]
            if kind == "input":
                return self.input_value(it, s, delay_base)
            if kind == "builtin":
                return B.VALUES[it].run(self)
            if kind == "stimulus":
                return stim
            if kind == "x":
                return x
            if kind == "num":
                return it
            raise AssertionError(kind)
        ev = lambda a: self.eval(a, s, delay_base, stim, x)  # noqa: E731
        if k == "un":
            a = ev(e.args[0])
            return -a if e.op == "-" else int(a == 0)
        if k == "bin":
            op = e.op
            a, b = ev(e.args[0]), ev(e.args[1])
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return X.c_div(a, b)
            if op == "%":
                return X.c_mod(a, b)
            return int({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b, "!=": a != b,
                        "&&": a != 0 and b != 0, "||": a != 0 or b != 0}[op])
        self.sub = s  # the subsystem whose noise stream a draw uses
        return B.FUNCTIONS[e.name].run(self, e, ev)

    # --- a run, written like anima-sim's trace -----------------------------------------------------------
    def row(self):
        return ",".join([str(self.tick)] + [str(self.state[v]) for v in self.cat.variables])

    def run(self, ticks, every, stimuli, out):
        """stimuli: [(tick, Stimulus, value)] in the order given; out: a function taking a line."""
        sched = sorted(enumerate(stimuli), key=lambda p: (p[1][0], p[0]))
        sched = [p[1] for p in sched]
        out("tick," + ",".join(v.full for v in self.cat.variables))

        def apply(st, value):
            shown = "auto" if st.auto is not None and value == st.auto else str(value)
            out("# anima: stimulus %d:%s=%s" % (self.tick, st.name, shown))
            self.stimulus(st, value)

        k = 0
        while k < len(sched) and sched[k][0] == 0:
            apply(sched[k][1], sched[k][2])
            k += 1
        out(self.row())
        reason = "ticks"
        if not self.alive():
            reason = "death"
        while reason == "ticks" and self.tick < ticks:
            self.step()
            while k < len(sched) and sched[k][0] == self.tick:
                apply(sched[k][1], sched[k][2])
                k += 1
            if self.tick % every == 0:
                out(self.row())
            if not self.alive():
                out("# anima: death tick=%d cause=%s" % (self.tick, self.cause()))
                reason = "death"
        out("# anima: end tick=%d reason=%s" % (self.tick, reason))
        return reason


def main(cat, argv):
    import argparse
    import sys
    def whole(lo, hi=(1 << 64) - 1):
        """A whole number in lo..hi, as anima-sim takes it (argparse turns the ValueError into one line)."""
        def parse(text):
            if not text.isdigit() or not lo <= int(text) <= hi:
                raise argparse.ArgumentTypeError("expected a whole number in %d..%d, got '%s'" % (lo, hi, text))
            return int(text)
        return parse

    class OneLineParser(argparse.ArgumentParser):
        def error(self, message):
            sys.stderr.write("anima-gen run: error: %s\n" % message)
            sys.exit(2)

    ap = OneLineParser(prog="anima-gen run")
    ap.add_argument("--seed", type=whole(0), default=1)
    ap.add_argument("--individual", type=whole(0), default=None)
    ap.add_argument("--ticks", type=whole(0), default=86400)
    ap.add_argument("--every", type=whole(1), default=60)
    ap.add_argument("--env", choices=["normal", "dark", "light"], default="normal")
    ap.add_argument("--stimulus", action="append", default=[])
    ap.add_argument("--trace", default="-")
    ap.add_argument("--set", action="append", default=[], help="SUBSYSTEM.PARAM=VALUE within its range")
    a = ap.parse_args(argv)
    params = {p.full: p for p in cat.params}
    sets = []
    for text in a.set:
        name, _, value = text.partition("=")
        p = params.get(name)
        try:
            v = int(value)
        except ValueError:
            v = None
        if p is None or v is None or not p.lo <= v <= p.hi:
            sys.stderr.write("anima-gen run: bad --set '%s'\n" % text)
            return 2
        sets.append((p, v))
    stims = {s.name: s for s in cat.stimuli}
    sched = []
    for text in a.stimulus:
        try:
            tick, rest = text.split(":", 1)
            name, value = rest.split("=", 1)
            st = stims[name]
            v = st.auto if (value == "auto" and st.auto is not None) else int(value)
            if v != st.auto and not st.lo <= v <= st.hi:
                raise ValueError
            if not tick.isdigit():
                raise ValueError
            sched.append((int(tick), st, v))
        except (ValueError, KeyError):
            sys.stderr.write("anima-gen run: bad --stimulus '%s'\n" % text)
            return 2
    try:
        f = sys.stdout if a.trace == "-" else open(a.trace, "w")
    except OSError as e:
        sys.stderr.write("anima-gen run: --trace %r: %s\n" % (a.trace, e.strerror or e))
        return 1
    it = Interpreter(cat, a.seed, ["normal", "dark", "light"].index(a.env), sets, a.individual)
    it.run(a.ticks, a.every, sched, lambda line: f.write(line + "\n"))
    f.flush()
    return 0
