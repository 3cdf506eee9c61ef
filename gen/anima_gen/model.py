"""Validates a catalogue tree and builds the model: groups, subsystems, variables, couplings, rules.

Everything the generator knows about a catalogue comes out of `build()`; the C emitter, the docs and the
reference interpreter all read this model and nothing else.
"""
import difflib
import hashlib
import json
import re

from . import builtins as B
from . import expr as X
from . import probe as P
from .ranges import Analyser
from .diag import Pos
from .traits import DISTS
from .yamlsrc import Map, Scalar, Seq

FORMAT = 1
INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
NAME_MAX = 40
MAX_SUBSYSTEMS = 100_000
MAX_VARS_PER_SUBSYSTEM = 256
MAX_INPUTS_PER_SUBSYSTEM = 256
MAX_STIMULI = 64
MAX_EVERY = 86400
MAX_DELAY = 86400
MAX_ENUM = 256

C_KEYWORDS = set("""auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef union unsigned void
volatile while _Bool _Complex _Imaginary _Alignas _Alignof _Atomic _Generic _Noreturn _Static_assert
_Thread_local bool true false asm typeof NULL main""".split())
RESERVED = B.RESERVED  # the built-ins' names (builtins.py), `every`, `stimulus` and `x`


class Var:
    def __init__(self, sub, name, pos):
        self.sub, self.name, self.pos = sub, name, pos
        self.lo = self.hi = self.init = 0
        self.unit = self.doc = ""
        self.values = None  # enum names
        self.output = False  # a measurement by design: shown in the trace, read by no rule
        self.scale = None  # {"divide": d, "add": a, "unit": u}: value / d + a is the value in u (--describe)
        self.rule = None  # E
        self.rule_node = None
        self.index = None  # catalogue order (trace column - 1)
        self.slot = None  # layout index
        self.readers = 0

    @property
    def full(self):
        return "%s.%s" % (self.sub.name, self.name)


class Param:
    def __init__(self, sub, name, pos):
        self.sub, self.name, self.pos = sub, name, pos
        self.value = self.lo = self.hi = 0
        self.unit = self.doc = ""
        self.index = None
        self.dist = 0  # 0: the same for everyone; else traits.DISTS[...]: drawn per individual
        self.sd = 0

    @property
    def full(self):
        return "%s.%s" % (self.sub.name, self.name)


class Input:
    def __init__(self, sub, name, pos):
        self.sub, self.name, self.pos = sub, name, pos
        self.src = None  # Var
        self.src_text = ""
        self.delay = 0
        self.transform = None  # E over x
        self.transform_node = None
        self.lo = self.hi = 0  # after transform
        self.used = False
        self.ring = None  # (offset, mask) once laid out


class Handler:
    def __init__(self, sub, stim, var, e, node):
        self.sub, self.stim, self.var, self.expr, self.node = sub, stim, var, e, node


class Subsystem:
    def __init__(self, group, name, pos):
        self.group, self.name, self.pos = group, name, pos
        self.doc = ""
        self.every = 1
        self.phase = None
        self.vars = []
        self.params = []
        self.inputs = []
        self.handlers = []  # [Handler]
        self.index = None
        self.sites = 0  # noise/chance call sites
        self.names = {}


class Group:
    def __init__(self, name, pos):
        self.name, self.pos = name, pos
        self.doc = ""
        self.subsystems = []


class Stimulus:
    def __init__(self, name, pos):
        self.name, self.pos = name, pos
        self.lo = self.hi = 0
        self.auto = None
        self.doc = ""
        self.index = None


class Catalogue:
    def __init__(self):
        self.name = ""
        self.groups = []
        self.subsystems = []
        self.stimuli = []
        self.alive = None
        self.cause = None
        self.probe = None  # probe.Probe: the perturbational complexity index, when the catalogue has one
        self.hash = 0

    @property
    def variables(self):
        return [v for s in self.subsystems for v in s.vars]

    @property
    def couplings(self):
        return [i for s in self.subsystems for i in s.inputs]

    @property
    def params(self):
        return [p for s in self.subsystems for p in s.params]


class Builder:
    def __init__(self, src, diag):
        self.src = src
        self.diag = diag
        self.cat = Catalogue()
        self.sub_by_name = {}

    # --- small checking helpers --------------------------------------------------------------------------
    def err(self, pos, msg):
        self.diag.error(pos, msg)

    def want_map(self, node, what):
        if not isinstance(node, Map):
            self.err(node.pos, "%s must be a mapping, found %s" % (what, describe(node)))
            return None
        return node

    def want_seq(self, node, what):
        if not isinstance(node, Seq):
            self.err(node.pos, "%s must be a list, found %s" % (what, describe(node)))
            return None
        return node

    def keys(self, m, allowed, required, what):
        suggested = set()
        for key, knode, _ in m.items:
            if key not in allowed:
                near = difflib.get_close_matches(key, sorted(allowed), n=1)
                suggested.update(near)
                hint = " (did you mean '%s'?)" % near[0] if near else " (expected one of: %s)" % ", ".join(sorted(allowed))
                self.err(knode.pos, "unknown key '%s' in %s%s" % (key, what, hint))
        ok = True
        for key in required:
            if m.get(key) is None and key not in m.index:
                if key not in suggested:  # else the unknown key's 'did you mean' already says it
                    self.err(m.pos, "%s is missing required key '%s'" % (what, key))
                ok = False
        return ok

    def want_int(self, node, what, lo=INT32_MIN, hi=INT32_MAX):
        if not isinstance(node, Scalar) or node.kind != "int":
            self.err(node.pos, "%s must be an integer, found %s" % (what, describe(node)))
            return None
        if not lo <= node.value <= hi:
            self.err(node.pos, "%s is %d, out of range %d..%d" % (what, node.value, lo, hi))
            return None
        return node.value

    def want_str(self, node, what, allow_empty=True):
        if not isinstance(node, Scalar) or node.kind not in ("str", "int", "float", "bool"):
            self.err(node.pos, "%s must be text, found %s" % (what, describe(node)))
            return None
        if node.kind != "str":
            return str(node.value)
        if not allow_empty and not node.value.strip():
            self.err(node.pos, "%s must not be empty" % what)
            return None
        return node.value

    def want_name(self, node, what):
        if not isinstance(node, Scalar) or node.kind != "str":
            self.err(node.pos, "%s must be a name, found %s" % (what, describe(node)))
            return None
        return self.check_name(node.value, node.pos, what)

    def check_name(self, name, pos, what):
        if not NAME_RE.match(name):
            self.err(pos, "%s '%s' is not a valid name (lower-case letters, digits and '_', starting with a letter)" % (what, name))
            return None
        if len(name) > NAME_MAX:
            self.err(pos, "%s '%s' is longer than %d characters" % (what, name, NAME_MAX))
            return None
        if "__" in name or name.endswith("_"):
            self.err(pos, "%s '%s' must not contain '__' or end with '_' (reserved for generated names)" % (what, name))
            return None
        if name in C_KEYWORDS:
            self.err(pos, "%s '%s' is a C keyword" % (what, name))
            return None
        return name

    def want_range(self, node, what):
        seq = self.want_seq(node, "'range' of %s" % what)
        if seq is None:
            return None
        if len(seq.items) != 2:
            self.err(seq.pos, "'range' of %s must be [low, high], found %d items" % (what, len(seq.items)))
            return None
        lo = self.want_int(seq.items[0], "low bound of %s" % what)
        hi = self.want_int(seq.items[1], "high bound of %s" % what)
        if lo is None or hi is None:
            return None
        if lo > hi:
            self.err(seq.pos, "'range' [%d, %d] of %s is empty (low > high)" % (lo, hi, what))
            return None
        return lo, hi

    def pos_in(self, scalar, offset):
        if scalar.src_start is None:
            return scalar.pos
        return self.src.pos_of(scalar.src_start + min(offset, len(scalar.src_text)))

    # --- the catalogue ------------------------------------------------------------------------------------
    def build(self, root):
        cat = self.cat
        root = self.want_map(root, "the catalogue")
        if root is None:
            return None
        self.keys(root, {"anima", "name", "stimuli", "death", "groups", "probe"}, ["anima", "groups"], "the catalogue")
        if root.get("anima") is not None:
            v = self.want_int(root.get("anima"), "'anima' (the catalogue format version)")
            if v is not None and v != FORMAT:
                self.err(root.get("anima").pos, "catalogue format %d is not supported (this generator reads format %d)" % (v, FORMAT))
        if root.get("name") is not None:
            cat.name = self.want_str(root.get("name"), "'name'") or ""
        if root.get("stimuli") is not None:
            self.stimuli(root.get("stimuli"))
        groups = root.get("groups")
        if groups is not None and self.want_seq(groups, "'groups'") is not None:
            if not groups.items:
                self.err(groups.pos, "'groups' is empty: a catalogue needs at least one subsystem")
            # Each group's YAML is let go once read: its subsystems keep what they still need (their node until
            # analysed, rule and name nodes for positions); at scale the rest is hundreds of MB.
            for k, g in enumerate(groups.items):
                self.group(g)
                groups.items[k] = None
            groups.items = []
        if len(cat.subsystems) > MAX_SUBSYSTEMS:
            self.err(groups.pos, "%d subsystems is more than the %d a catalogue may hold" % (len(cat.subsystems), MAX_SUBSYSTEMS))
            return None
        self.index_names()
        self.resolve_inputs()
        if root.get("death") is not None:
            self.death(root.get("death"))
        for s in cat.subsystems:
            self.analyse_subsystem(s)
            s.node = s.rules_node = s.on_node = None  # its YAML: analysed, not needed again
        if root.get("probe") is not None and not self.diag.errors:
            cat.probe = P.build(self, root.get("probe"))
        self.usage_warnings()
        if self.diag.errors:  # (the catalogue is not used: no hash of what may be half-built)
            return cat
        meta, groups = canonical_parts(cat)
        # One group file's part at a time: all of them at once, as JSON-able lists, were a third of the
        # generator's peak memory at 33,000 subsystems.
        cat.part_hashes = (part_hash(meta), [(name, part_hash(g())) for name, g in groups])
        cat.hash = combine_hashes(cat.part_hashes[0], [h for _, h in cat.part_hashes[1]])
        return cat

    def stimuli(self, node):
        m = self.want_map(node, "'stimuli'")
        if m is None:
            return
        if len(m.items) > MAX_STIMULI:
            self.err(m.pos, "more than %d stimuli" % MAX_STIMULI)
        for key, knode, v in m.items:
            name = self.check_name(key, knode.pos, "stimulus name")
            st = Stimulus(name or key, knode.pos)
            vm = self.want_map(v, "stimulus '%s'" % key)
            if vm is None:
                continue
            self.keys(vm, {"range", "auto", "doc"}, ["range"], "stimulus '%s'" % key)
            r = self.want_range(vm.get("range"), "stimulus '%s'" % key) if vm.get("range") is not None else None
            if r:
                st.lo, st.hi = r
            if vm.get("auto") is not None:
                st.auto = self.want_int(vm.get("auto"), "stimulus '%s' 'auto' value" % key)
            if vm.get("doc") is not None:
                st.doc = self.want_str(vm.get("doc"), "'doc'") or ""
            st.index = len(self.cat.stimuli)
            self.cat.stimuli.append(st)

    def group(self, node):
        m = self.want_map(node, "a group")
        if m is None:
            return
        self.keys(m, {"name", "doc", "subsystems"}, ["name", "subsystems"], "a group")
        name = self.want_name(m.get("name"), "group name") if m.get("name") is not None else None
        g = Group(name or raw_name(m.get("name")), m.pos)
        for other in self.cat.groups:
            if name and other.name == name:
                self.err(m.get("name").pos, "group '%s' is defined twice (first at line %d)" % (name, other.pos.line))
        if m.get("doc") is not None:
            g.doc = self.want_str(m.get("doc"), "'doc'") or ""
        self.cat.groups.append(g)
        subs = m.get("subsystems")
        if subs is not None and self.want_seq(subs, "'subsystems' of group '%s'" % g.name) is not None:
            if not subs.items:
                self.err(subs.pos, "group '%s' has no subsystems" % g.name)
            for s in subs.items:
                self.subsystem(g, s)

    def subsystem(self, g, node):
        m = self.want_map(node, "a subsystem")
        if m is None:
            return
        self.keys(m, {"name", "doc", "every", "phase", "state", "params", "inputs", "on", "rules"},
                  ["name", "doc", "state"], "a subsystem")
        name = self.want_name(m.get("name"), "subsystem name") if m.get("name") is not None else None
        s = Subsystem(g, name or raw_name(m.get("name")), m.get("name").pos if m.get("name") is not None else m.pos)
        s.node = m
        if name:
            if name in RESERVED:
                self.err(s.pos, "subsystem name '%s' is reserved" % name)
            other = self.sub_by_name.get(name)
            if other is not None:
                self.err(s.pos, "subsystem '%s' is defined twice (first at line %d)" % (name, other.pos.line))
            else:
                self.sub_by_name[name] = s
        if m.get("doc") is not None:
            s.doc = self.want_str(m.get("doc"), "'doc'") or ""
        if m.get("every") is not None:
            s.every = self.want_int(m.get("every"), "'every'", 1, MAX_EVERY) or 1
        if m.get("phase") is not None:
            s.phase = self.want_int(m.get("phase"), "'phase'", 0, s.every - 1)
        if s.phase is None:
            s.phase = stable_phase(s.name, s.every)
        s.index = len(self.cat.subsystems)
        g.subsystems.append(s)
        self.cat.subsystems.append(s)
        what = "subsystem '%s'" % s.name
        st = m.get("state")
        if st is not None and self.want_map(st, "'state' of %s" % what) is not None:
            if not st.items:
                self.err(st.pos, "%s has no state variables" % what)
            if len(st.items) > MAX_VARS_PER_SUBSYSTEM:
                self.err(st.pos, "%s has more than %d state variables" % (what, MAX_VARS_PER_SUBSYSTEM))
            for key, knode, v in st.items:
                self.variable(s, key, knode, v)
        ps = m.get("params")
        if ps is not None and self.want_map(ps, "'params' of %s" % what) is not None:
            for key, knode, v in ps.items:
                self.param(s, key, knode, v)
        ins = m.get("inputs")
        if ins is not None and self.want_map(ins, "'inputs' of %s" % what) is not None:
            if len(ins.items) > MAX_INPUTS_PER_SUBSYSTEM:
                self.err(ins.pos, "%s has more than %d inputs" % (what, MAX_INPUTS_PER_SUBSYSTEM))
            for key, knode, v in ins.items:
                self.input(s, key, knode, v)
        s.rules_node = m.get("rules")
        s.on_node = m.get("on")

    def variable(self, s, key, knode, node):
        name = self.check_name(key, knode.pos, "variable name")
        v = Var(s, name or key, knode.pos)
        s.vars.append(v)
        what = "variable '%s.%s'" % (s.name, key)
        m = self.want_map(node, what)
        if m is None:
            return
        self.keys(m, {"range", "init", "unit", "doc", "values", "output", "scale"}, ["range", "init", "unit", "doc"], what)
        if m.get("scale") is not None:
            v.scale = self.scale(m.get("scale"), "'scale' of %s" % what)
        if m.get("output") is not None:
            o = m.get("output")
            if not isinstance(o, Scalar) or o.kind != "bool":
                self.err(o.pos, "'output' of %s must be true or false, found %s" % (what, describe(o)))
            else:
                v.output = o.value
        r = self.want_range(m.get("range"), what) if m.get("range") is not None else None
        if r:
            v.lo, v.hi = r
        if m.get("init") is not None:
            init = self.want_int(m.get("init"), "'init' of %s" % what)
            if init is not None and r and not r[0] <= init <= r[1]:
                self.err(m.get("init").pos, "'init' %d of %s is outside its range [%d, %d]" % (init, what, r[0], r[1]))
            v.init = init if init is not None else v.lo
        if m.get("unit") is not None:
            v.unit = self.want_str(m.get("unit"), "'unit' of %s" % what) or ""
        if m.get("doc") is not None:
            v.doc = self.want_str(m.get("doc"), "'doc' of %s" % what) or ""
        if m.get("values") is not None:
            seq = self.want_seq(m.get("values"), "'values' of %s" % what)
            if seq is not None:
                names = []
                for item in seq.items:
                    n = self.want_name(item, "enum value")  # None when invalid (reported): keeps its place
                    if n is not None and n in names:
                        self.err(item.pos, "enum value '%s' is listed twice" % n)
                    names.append(n)
                if len(names) > MAX_ENUM or not names:
                    self.err(seq.pos, "'values' of %s must list 1..%d names" % (what, MAX_ENUM))
                elif r and (r[0] != 0 or r[1] != len(names) - 1):
                    self.err(m.get("range").pos, "range of enum %s must be [0, %d] for its %d values" % (what, len(names) - 1, len(names)))
                v.values = names

    def scale(self, node, what):
        """scale: {divide: D, add: A, unit: U}: the variable's value / D + A is a physical quantity in U."""
        m = self.want_map(node, what)
        if m is None or not self.keys(m, {"divide", "add", "unit"}, ["unit"], what):
            return None
        divide = self.want_int(m.get("divide"), "'divide' of %s" % what, 1) if m.get("divide") is not None else 1
        add = self.want_int(m.get("add"), "'add' of %s" % what) if m.get("add") is not None else 0
        unit = self.want_str(m.get("unit"), "'unit' of %s" % what, allow_empty=False)
        if divide is None or add is None or unit is None:
            return None
        return {"divide": divide, "add": add, "unit": unit}

    def param(self, s, key, knode, node):
        name = self.check_name(key, knode.pos, "parameter name")
        p = Param(s, name or key, knode.pos)
        s.params.append(p)
        what = "parameter '%s.%s'" % (s.name, key)
        m = self.want_map(node, what)
        if m is None:
            return
        self.keys(m, {"value", "range", "unit", "doc", "trait"}, ["value", "unit", "doc"], what)
        if m.get("value") is not None:
            p.value = self.want_int(m.get("value"), "'value' of %s" % what) or 0
        p.lo = p.hi = p.value
        if m.get("range") is not None:
            r = self.want_range(m.get("range"), what)
            if r:
                p.lo, p.hi = r
                if not p.lo <= p.value <= p.hi:
                    self.err(m.get("value").pos, "'value' %d of %s is outside its range [%d, %d]" % (p.value, what, p.lo, p.hi))
        if m.get("unit") is not None:
            p.unit = self.want_str(m.get("unit"), "'unit' of %s" % what) or ""
        if m.get("doc") is not None:
            p.doc = self.want_str(m.get("doc"), "'doc' of %s" % what) or ""
        if m.get("trait") is not None:
            self.trait(p, m.get("trait"), m, what)

    def trait(self, p, node, m, what):
        """`trait: {sd: N, dist: normal|lognormal}`: the parameter is drawn per individual (gen/anima_gen/traits.py)."""
        t = self.want_map(node, "'trait' of %s" % what)
        if t is None:
            return
        if not self.keys(t, {"sd", "dist"}, ["sd", "dist"], "'trait' of %s" % what):
            return
        dist = t.get("dist")
        if not isinstance(dist, Scalar) or dist.kind != "str" or dist.value not in DISTS:
            self.err(dist.pos, "'dist' of the trait of %s must be normal or lognormal, found %s" % (what, describe(dist)))
            return
        limit = 2000 if dist.value == "lognormal" else INT32_MAX
        sd = self.want_int(t.get("sd"), "'sd' of the trait of %s" % what, 0, limit)
        if sd is None:
            return
        if m.get("range") is None or p.lo == p.hi:
            self.err(t.pos, "%s has a trait but no range to draw in: give it 'range: [low, high]'" % what)
            return
        if dist.value == "lognormal" and (p.value <= 0 or p.lo < 0):
            self.err(dist.pos, "a lognormal trait needs a positive value and a range >= 0 (%s is %d in [%d, %d])" % (what, p.value, p.lo, p.hi))
            return
        p.dist, p.sd = DISTS[dist.value], sd

    def input(self, s, key, knode, node):
        name = self.check_name(key, knode.pos, "input name")
        i = Input(s, name or key, knode.pos)
        s.inputs.append(i)
        what = "input '%s' of subsystem '%s'" % (key, s.name)
        if isinstance(node, Scalar) and node.kind == "str":  # shorthand: `light: env.light`
            i.src_node = node
            i.src_text = node.value
            return
        m = self.want_map(node, what)
        if m is None:
            i.src_node = None
            return
        self.keys(m, {"from", "delay", "transform", "doc"}, ["from"], what)
        i.src_node = m.get("from")
        if i.src_node is not None:
            i.src_text = self.want_str(i.src_node, "'from' of %s" % what) or ""
        if m.get("delay") is not None:
            i.delay = self.want_int(m.get("delay"), "'delay' of %s" % what, 0, MAX_DELAY) or 0
        if m.get("transform") is not None:
            i.transform_node = m.get("transform")

    def index_names(self):
        self.subs = {}
        for s in self.cat.subsystems:  # a subsystem defined twice (an error already): the first one counts
            self.subs.setdefault(s.name, s)
        for s in self.cat.subsystems:
            names = {}
            for kind, items in (("variable", s.vars), ("parameter", s.params), ("input", s.inputs)):
                for it in items:
                    if it.name in RESERVED:
                        self.err(it.pos, "%s name '%s' is reserved (a builtin or function)" % (kind, it.name))
                        continue
                    if it.name in names:
                        okind, oit = names[it.name]
                        self.err(it.pos, "%s '%s' of subsystem '%s' has the same name as its %s at line %d" % (kind, it.name, s.name, okind, oit.pos.line))
                        continue
                    names[it.name] = (kind, it)
            for v in s.vars:
                for idx, ev in enumerate(v.values or []):
                    if ev is None:  # an invalid enum value name, already reported
                        continue
                    hit = names.get(ev)
                    if hit is not None and hit[0] == "enum" and hit[1][0] is v:
                        continue  # listed twice: reported where the values are read
                    if ev in names or ev in RESERVED:
                        self.err(v.pos, "enum value '%s' of variable '%s.%s' collides with another name of the subsystem" % (ev, s.name, v.name))
                    else:
                        names[ev] = ("enum", (v, idx))
            s.names = names
        index = 0
        for s in self.cat.subsystems:
            for v in s.vars:
                v.index = index
                index += 1
        for n, p in enumerate(self.cat.params):
            p.index = n

    def lookup_var(self, text, node, what):
        parts = text.split(".")
        if len(parts) != 2 or not all(parts):
            self.err(node.pos, "%s must be 'subsystem.variable', found '%s'" % (what, text))
            return None
        sub = self.subs.get(parts[0])
        if sub is None:
            near = difflib.get_close_matches(parts[0], list(self.subs), n=1)
            self.err(node.pos, "%s names unknown subsystem '%s'%s" % (what, parts[0], " (did you mean '%s'?)" % near[0] if near else ""))
            return None
        for v in sub.vars:
            if v.name == parts[1]:
                return v
        near = difflib.get_close_matches(parts[1], [v.name for v in sub.vars], n=1)
        self.err(node.pos, "%s names unknown variable '%s' of subsystem '%s'%s" % (what, parts[1], sub.name, " (did you mean '%s'?)" % near[0] if near else ""))
        return None

    def resolve_inputs(self):
        for s in self.cat.subsystems:
            for i in s.inputs:
                if getattr(i, "src_node", None) is None:
                    continue
                i.src = self.lookup_var(i.src_text, i.src_node, "input '%s' of subsystem '%s'" % (i.name, s.name))
                if i.src is not None and i.src.sub is s:
                    self.err(i.src_node.pos, "input '%s' of subsystem '%s' reads its own variable: use '%s' directly" % (i.name, s.name, i.src.name))
                    i.src = None
                if i.src is not None:
                    i.src.readers += 1

    def death(self, node):
        m = self.want_map(node, "'death'")
        if m is None:
            return
        self.keys(m, {"alive", "cause"}, ["alive", "cause"], "'death'")
        if m.get("alive") is not None:
            t = self.want_str(m.get("alive"), "'death.alive'")
            if t:
                self.cat.alive = self.lookup_var(t, m.get("alive"), "'death.alive'")
        if m.get("cause") is not None:
            t = self.want_str(m.get("cause"), "'death.cause'")
            if t:
                v = self.lookup_var(t, m.get("cause"), "'death.cause'")
                if v is not None and not v.values:
                    self.err(m.get("cause").pos, "'death.cause' variable '%s' must be an enum (give it 'values')" % t)
                    v = None
                self.cat.cause = v
        for v in (self.cat.alive, self.cat.cause):
            if v is not None:
                v.readers += 1

    # --- expressions -------------------------------------------------------------------------------------
    def parse_expr(self, node, what):
        if not isinstance(node, Scalar) or node.kind not in ("str", "int"):
            self.err(node.pos, "%s must be an expression (text or integer), found %s" % (what, describe(node)))
            return None
        if node.kind == "int":
            e = X.E("num", 0, value=node.value)
            node.src_text, node.src_start = str(node.value), None
            return e
        try:
            return X.parse(node.src_text)
        except X.ExprError as ex:
            self.err(self.pos_in(node, ex.offset), "in %s: %s" % (what, ex.message))
            return None

    def analyse_subsystem(self, s):
        a = Analyser(self, s)
        for i in s.inputs:
            if i.src is None:
                continue
            if i.transform_node is not None:
                what = "transform of input '%s' of subsystem '%s'" % (i.name, s.name)
                e = self.parse_expr(i.transform_node, what)
                if e is not None and a.run(e, i.transform_node, what, mode="transform", x=(i.src.lo, i.src.hi)):
                    i.transform = e
                    i.lo, i.hi = e.lo, e.hi
                    if not (INT32_MIN <= i.lo and i.hi <= INT32_MAX):
                        self.err(self.pos_in(i.transform_node, 0), "%s: value range [%d, %d] does not fit 32 bits" % (what, i.lo, i.hi))
                else:
                    i.src = None
            else:
                i.lo, i.hi = i.src.lo, i.src.hi
        rules = s.rules_node
        if rules is not None and self.want_map(rules, "'rules' of subsystem '%s'" % s.name) is not None:
            byname = {v.name: v for v in s.vars}
            for key, knode, v in rules.items:
                var = byname.get(key)
                if var is None:
                    near = difflib.get_close_matches(key, list(byname), n=1)
                    self.err(knode.pos, "rule for unknown variable '%s' of subsystem '%s'%s" % (key, s.name, " (did you mean '%s'?)" % near[0] if near else ""))
                    continue
                what = "rule '%s.%s'" % (s.name, key)
                e = self.parse_expr(v, what)
                if e is not None and a.run(e, v, what, mode="rule", target=var):
                    var.rule, var.rule_node = e, v
        on = s.on_node
        if on is not None and self.want_map(on, "'on' of subsystem '%s'" % s.name) is not None:
            stims = {st.name: st for st in self.cat.stimuli}
            byname = {v.name: v for v in s.vars}
            for key, knode, hm in on.items:
                st = stims.get(key)
                if st is None:
                    near = difflib.get_close_matches(key, list(stims), n=1)
                    self.err(knode.pos, "handler for unknown stimulus '%s'%s" % (key, " (did you mean '%s'?)" % near[0] if near else " (declare it under 'stimuli')"))
                    continue
                if self.want_map(hm, "handler of stimulus '%s' in subsystem '%s'" % (key, s.name)) is None:
                    continue
                for vkey, vknode, vnode in hm.items:
                    var = byname.get(vkey)
                    if var is None:
                        self.err(vknode.pos, "handler of stimulus '%s' sets unknown variable '%s' of subsystem '%s'" % (key, vkey, s.name))
                        continue
                    what = "handler '%s' of stimulus '%s' in subsystem '%s'" % (vkey, key, s.name)
                    e = self.parse_expr(vnode, what)
                    lo, hi = st.lo, st.hi
                    if st.auto is not None:
                        lo, hi = min(lo, st.auto), max(hi, st.auto)
                    if e is not None and a.run(e, vnode, what, mode="handler", stimulus=(lo, hi)):
                        s.handlers.append(Handler(s, st, var, e, vnode))

    def usage_warnings(self):
        if self.diag.errors:  # after an error, 'never read' is mostly its cascade (e.g. 300 of them): say it later
            return
        for s in self.cat.subsystems:
            for i in s.inputs:
                if i.src is not None and not i.used:
                    self.diag.warning(i.pos, "input '%s' of subsystem '%s' is never read by a rule" % (i.name, s.name))
            for v in s.vars:
                if v.readers == 0 and not v.output:
                    self.diag.warning(v.pos, "variable '%s.%s' is never read by another rule, an input or 'death' (it only shows in the trace)" % (s.name, v.name))


def raw_name(node):
    """The name as written, for messages about a subsystem or group whose name is invalid (already reported)."""
    if isinstance(node, Scalar) and node.kind == "str" and node.value:
        return node.value
    return "?"


def describe(node):
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    if node.kind == "null":
        return "nothing"
    if node.kind == "str":
        v = node.value if len(node.value) <= 30 else node.value[:27] + "..."
        return "'%s'" % v
    return "%s %s" % ({"int": "integer", "float": "number", "bool": "boolean"}[node.kind], node.value)


def stable_phase(name, every):
    if every <= 1:
        return 0
    h = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    return h % every


def _ex(e):
    if e is None:
        return None
    return [e.kind, e.value, e.name, e.op, [_ex(a) for a in e.args]]


def canonical_parts(cat):
    """Everything that affects a run, as JSON-able parts, each held by the generated file that changes anyway
    when the part does: one part per group file (its subsystems' periods, ranges, rules, inputs, handlers) and
    one for anima_gen_meta.c (the format, stimuli, death, initial state and parameter values). Parameter values
    and initial values are data in anima_gen_meta.c, so editing one changes that file alone. The group parts are
    functions that build the part when called, so that only one is in memory at a time."""
    from .layout import chunks
    meta = {
        "format": FORMAT,
        "stimuli": [[s.name, s.lo, s.hi, s.auto] for s in cat.stimuli],
        "alive": cat.alive.full if cat.alive else None,
        "cause": cat.cause.full if cat.cause else None,
        "init": [[v.full, v.init] for v in cat.variables],
        "params": [[p.sub.name, p.name, p.value] + ([p.dist, p.sd] if p.dist else []) for p in cat.params],
    }
    if cat.probe is not None:  # (a catalogue without a probe keeps the hash it had before probes existed)
        meta["probe"] = P.canonical(cat.probe)
    # A group file's part is written as the JSON text json.dumps would give (part_hash), piece by piece: an
    # expression's tree is a function of its source text (expr.parse; nothing rewrites its syntax later) and a
    # large catalogue repeats a few thousand texts, so each text's JSON is made once; the rest is names and
    # integers.
    memo = {}

    def ex(e, node):
        if e is None:
            return "null"
        key = (node.kind, node.src_text)
        hit = memo.get(key)
        if hit is None:
            hit = memo[key] = _json(_ex(e))
        return hit

    def part(subs):
        return lambda: "[%s]" % ",".join([
            "[%s,%d,%d,[%s],[%s],[%s],[%s]]" % (
                _jstr(s.name), s.every, s.phase,
                ",".join(["[%s,%d,%d,%s]" % (_jstr(v.name), v.lo, v.hi, ex(v.rule, v.rule_node)) for v in s.vars]),
                ",".join(["[%s,%d,%d]" % (_jstr(p.name), p.lo, p.hi) for p in s.params]),
                ",".join(["[%s,%s,%d,%s]" % (_jstr(i.name), _jstr(i.src.full) if i.src else "null", i.delay,
                                             ex(i.transform, i.transform_node)) for i in s.inputs]),
                ",".join(["[%s,%s,%s]" % (_jstr(h.stim.name), _jstr(h.var.name), ex(h.expr, h.node))
                          for h in s.handlers]))
            for s in subs])
    groups = [(name, part([s for _, subs in parts for s in subs])) for name, parts in chunks(cat)]
    return meta, groups


def _json(x):
    return json.dumps(x, sort_keys=True, separators=(",", ":"))


_jstr = json.encoder.encode_basestring_ascii  # a str as _json writes it


def part_hash(part):
    """The hash of a part: of its JSON text (_json), or of that text itself when given as a str."""
    blob = (part if isinstance(part, str) else _json(part)).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")


def combine_hashes(meta_hash, group_hashes):
    """The catalogue hash from its parts; anima_gen_catalogue_hash() in anima_gen_meta.c computes the same."""
    h = meta_hash
    for g in group_hashes:
        h = X.mix64(h ^ g)
    return h


def layout_hash(cat, lay):
    """What a checkpoint's byte layout depends on (docs/architecture.md): the formats, the state variables in
    slot order, the parameters in order, and the delay rings. Parameter values, initial values and rules are
    not part of it, so a checkpoint can be checked against a catalogue that differs only in those."""
    slots = sorted(cat.variables, key=lambda v: v.slot)
    return part_hash({
        "format": FORMAT,
        "state": [v.full for v in slots],
        "params": [[p.sub.name, p.name] for p in cat.params],
        "rings": [[r.src.full, r.offset, r.size] + ([r.every] if r.every else []) +
                  (["stride", r.stride] if r.stride > 1 else []) for r in lay.rings],
        "rates": lay.rates,  # one phase counter per distinct period
    })
