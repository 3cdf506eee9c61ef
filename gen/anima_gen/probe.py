"""The `probe` section: a perturbational complexity index the organism computes about itself (Casali et al.
2013). Validation into the model here; the arithmetic (LZ76, entropy normalisation, integer log2) lives in
`pci()` below, which the reference interpreter calls, and in core/probe.c, which must agree bit for bit.

    probe:
      into: consciousness.pci      # the variable the index (PCI x 1000) is written to
      every: consciousness.rate    # ticks between probes: an integer, or a parameter ('--set' changes it;
                                   # 0 switches the probe off); phase: N, the probe ticks are phase + k*every
      advance: [pf_l, ..., th_md]  # the subsystems the probe steps (one 'every' and phase for all)
      perturb: {pf_l.e: 600}       # what is added to which variable of the copy
      observe: [pf_l.e, ...]       # the regions whose divergence is binarised
      baseline: 12                 # steps of the copy before the perturbation (its variability sets thresholds)
      window: 36                   # steps the response is followed
      threshold: 30                # binarising threshold: tenths of the baseline's mean absolute deviation
      floor: 30                    # ... and never below this many units
"""
from .yamlsrc import Scalar

MAX_OBSERVE = 64
MAX_STEPS = 1000
MAX_BITS = 1 << 16
MIN_OBSERVE = 4
Q = 16  # fixed-point fraction bits of log2


class Probe:
    def __init__(self, pos):
        self.pos = pos
        self.into = None  # Var
        self.every = 1
        self.every_param = None  # Param, when the rate is a parameter
        self.phase = 0
        self.advance = []  # [Subsystem]
        self.perturb = []  # [(Var, amount)]
        self.observe = []  # [Var]
        self.baseline = self.window = 0
        self.threshold = 30
        self.floor = 1
        self.doc = ""

    @property
    def step_every(self):
        return self.advance[0].every

    @property
    def step_phase(self):
        return self.advance[0].phase


def build(b, node):
    """b: the model Builder (its error helpers and subsystem table). Returns a Probe or None."""
    m = b.want_map(node, "'probe'")
    if m is None:
        return None
    keys = {"into", "every", "phase", "advance", "perturb", "observe", "baseline", "window", "threshold", "floor",
            "doc"}
    if not b.keys(m, keys, ["into", "every", "advance", "perturb", "observe", "baseline", "window"], "'probe'"):
        return None
    p = Probe(m.pos)
    ok = True
    if m.get("doc") is not None:
        p.doc = b.want_str(m.get("doc"), "'probe.doc'") or ""
    en = m.get("every")
    if isinstance(en, Scalar) and en.kind == "str":
        p.every_param = param_of(b, en)
        ok &= p.every_param is not None
        p.every = p.every_param.value if p.every_param is not None else 0
    else:
        p.every = b.want_int(en, "'probe.every'", 1, 86400)
        ok &= p.every is not None
    if m.get("phase") is not None:
        p.phase = b.want_int(m.get("phase"), "'probe.phase'", 0, 86399)
        ok &= p.phase is not None
    p.baseline = b.want_int(m.get("baseline"), "'probe.baseline'", 2, MAX_STEPS)
    p.window = b.want_int(m.get("window"), "'probe.window'", 2, MAX_STEPS)
    ok &= p.baseline is not None and p.window is not None
    if m.get("threshold") is not None:
        p.threshold = b.want_int(m.get("threshold"), "'probe.threshold'", 1, 1000)
        ok &= p.threshold is not None
    if m.get("floor") is not None:
        p.floor = b.want_int(m.get("floor"), "'probe.floor'", 1, 1 << 24)
        ok &= p.floor is not None

    # advance: subsystems stepped together
    seq = b.want_seq(m.get("advance"), "'probe.advance'")
    seen = set()
    if seq is not None:
        if not seq.items:
            b.err(seq.pos, "'probe.advance' is empty: name the subsystems the probe steps")
            ok = False
        for it in seq.items:
            name = b.want_name(it, "subsystem in 'probe.advance'")
            if name is None:
                ok = False
                continue
            s = b.subs.get(name)
            if s is None:
                b.err(it.pos, "'probe.advance' names unknown subsystem '%s'" % name)
                ok = False
            elif s in seen:
                b.err(it.pos, "'probe.advance' names subsystem '%s' twice" % name)
                ok = False
            else:
                seen.add(s)
                p.advance.append(s)
                if p.advance and (s.every, s.phase) != (p.advance[0].every, p.advance[0].phase):
                    b.err(it.pos, "subsystem '%s' (every %d, phase %d) does not update with '%s' (every %d, phase %d): "
                          "the probe steps its subsystems together" % (s.name, s.every, s.phase, p.advance[0].name,
                                                                       p.advance[0].every, p.advance[0].phase))
                    ok = False
                for i in s.inputs:
                    if i.delay:
                        b.err(i.pos, "input '%s' of subsystem '%s' has a delay: the probe cannot step delayed couplings"
                              % (i.name, s.name))
                        ok = False
    else:
        ok = False

    def var_of(node, text, what):
        if text is None:
            b.err(node.pos, "%s must be 'subsystem.variable'" % what)
            return None
        v = b.lookup_var(text, node, what)
        if v is not None and v.sub not in seen:
            b.err(node.pos, "%s '%s' is not a variable of a subsystem in 'probe.advance'" % (what, text))
            return None
        return v

    def text_of(node):
        return node.value if isinstance(node, Scalar) and node.kind == "str" else None

    pm = b.want_map(m.get("perturb"), "'probe.perturb'")
    if pm is not None:
        if not pm.items:
            b.err(pm.pos, "'probe.perturb' is empty: name at least one variable and the amount added to it")
            ok = False
        for key, knode, vnode in pm.items:
            v = var_of(knode, key, "variable in 'probe.perturb'")
            amount = b.want_int(vnode, "perturbation of '%s'" % key, -(1 << 30), 1 << 30)
            if v is None or amount is None:
                ok = False
                continue
            if amount == 0:
                b.err(vnode.pos, "perturbation of '%s' is 0: the probe would perturb nothing" % key)
                ok = False
                continue
            p.perturb.append((v, amount))
    else:
        ok = False

    oseq = b.want_seq(m.get("observe"), "'probe.observe'")
    if oseq is not None:
        for it in oseq.items:
            v = var_of(it, text_of(it), "variable in 'probe.observe'")
            if v is None:
                ok = False
            elif v in p.observe:
                b.err(it.pos, "'probe.observe' names '%s' twice" % v.full)
                ok = False
            else:
                p.observe.append(v)
        if not MIN_OBSERVE <= len(oseq.items) <= MAX_OBSERVE:
            b.err(oseq.pos, "'probe.observe' has %d variables: give %d to %d (a complexity needs regions)"
                  % (len(oseq.items), MIN_OBSERVE, MAX_OBSERVE))
            ok = False
        elif p.window is not None and len(oseq.items) * p.window > MAX_BITS:
            b.err(oseq.pos, "%d observed variables over a window of %d steps is more than %d bits"
                  % (len(oseq.items), p.window, MAX_BITS))
            ok = False
    else:
        ok = False

    it = m.get("into")
    if isinstance(it, Scalar) and it.kind == "str":
        v = b.lookup_var(it.value, it, "'probe.into'")
        if v is not None:
            if v.sub in seen:
                b.err(it.pos, "'probe.into' '%s' belongs to a subsystem the probe steps" % it.value)
                v = None
            elif v.rule_node is not None or any(h.var is v for h in v.sub.handlers):
                b.err(it.pos, "'probe.into' '%s' has a rule or a stimulus handler: the probe alone writes it" % it.value)
                v = None
            elif v.readers or not v.output:
                b.err(it.pos, "'probe.into' '%s' must be an output read by nothing (declare it 'output: true'), so that "
                      "the probe cannot change the organism's course" % it.value)
                v = None
            elif v.lo > 0 or v.hi < 1000:
                b.err(it.pos, "'probe.into' '%s' must hold 0..1000 (PCI x 1000), its range is [%d, %d]"
                      % (it.value, v.lo, v.hi))
                v = None
        p.into = v
    else:
        b.err(it.pos, "'probe.into' must be 'subsystem.variable'")
    ok &= p.into is not None
    return p if ok else None


def param_of(b, node):
    """'subsystem.param' naming the probe's rate: declared range within 0..86400 (0 is off)."""
    parts = node.value.split(".")
    sub = b.subs.get(parts[0]) if len(parts) == 2 else None
    par = next((q for q in sub.params if q.name == parts[1]), None) if sub is not None else None
    if par is None:
        b.err(node.pos, "'probe.every' must be an integer or 'subsystem.parameter', found '%s'" % node.value)
        return None
    if par.lo < 0 or par.hi > 86400:
        b.err(node.pos, "'probe.every' parameter '%s' has range [%d, %d]: it must lie within 0..86400 (0 is off)"
              % (node.value, par.lo, par.hi))
        return None
    return par


def canonical(p):
    if p is None:
        return None
    return [p.into.full, p.every_param.name if p.every_param else p.every, p.phase, [s.name for s in p.advance], [[v.full, a] for v, a in p.perturb],
            [v.full for v in p.observe], p.baseline, p.window, p.threshold, p.floor]


# --- the index ---------------------------------------------------------------------------------------------
def log2_q(x):
    """floor(log2(x) * 2^Q) for an integer x >= 1, by the bit-by-bit squaring method (integer only; core/probe.c
    computes the same)."""
    n = x.bit_length() - 1
    r = n << Q
    # mantissa in [1, 2) as a Q30 fixed-point number
    m = (x << 30) >> n if n <= 30 else x >> (n - 30)
    for k in range(Q - 1, -1, -1):
        m = (m * m) >> 30
        if m >= (2 << 30):
            m >>= 1
            r += 1 << k
    return r


def lz76(bits):
    """Number of phrases of the Lempel-Ziv (1976) parsing, Kaspar & Schuster's (1987) algorithm."""
    n = len(bits)
    if n < 2:
        return n
    c, l, i, k, kmax = 1, 1, 0, 1, 1
    while True:
        if bits[i + k - 1] == bits[l + k - 1]:
            k += 1
            if l + k > n:
                c += 1
                break
        else:
            kmax = max(kmax, k)
            i += 1
            if i == l:
                c += 1
                l += kmax
                if l + 1 > n:
                    break
                i, k, kmax = 0, 1, 1
            else:
                k = 1
    return c


def pci(matrix):
    """matrix: one list of 0/1 per observed region over the window. Rows sorted by their number of ones (more
    first, then in declared order), concatenated time-major as Casali et al. 2013 do; LZ76 complexity divided by
    that of a random string of the same length and entropy, L*H/log2(L). Returns PCI x 1000."""
    rows = sorted(range(len(matrix)), key=lambda r: (-sum(matrix[r]), r))
    w = len(matrix[0])
    bits = [matrix[r][t] for t in range(w) for r in rows]
    n = len(bits)
    ones = sum(bits)
    if ones == 0 or ones == n:
        return 0
    zeros = n - ones
    lg = log2_q(n)
    # L*H(p) = L log2 L - n1 log2 n1 - n0 log2 n0, in Q
    denom = n * lg - ones * log2_q(ones) - zeros * log2_q(zeros)
    if denom <= 0:
        return 0
    return min(lz76(bits) * lg * 1000 // denom, 1000)
