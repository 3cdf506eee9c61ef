"""Renders the model into C through the Jinja2 templates in templates/. Output is byte-stable and a file is
written only when its content changed, so the build recompiles only what a catalogue edit touched."""
import hashlib
import json
import math
import os
import re

import jinja2

from . import builtins as B
from . import layout as L
from . import model as M
from . import traits as T
from .cgen import CFile, Emitter, Tables, clamp_store, lit, narrow

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "templates")


def environment():
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
                             autoescape=False)
    env.filters["lit"] = lit
    env.filters["cstr"] = c_string
    env.filters["rows"] = rows
    return env


def rows(items, fmt):
    """One line per item of a large array (a loop in the template costs ten times as much at 100,000 items)."""
    return "\n".join([fmt % (x if isinstance(x, tuple) else (x,)) for x in items])


def string_table(texts):
    """[texts...] as the C text of one string, each text ending in a NUL, and where each starts in it: tables of
    names with an offset per name rather than a pointer (no relocation per name in anima.efi, one literal for
    the compiler)."""
    at, n = [], 0
    for t in texts:
        at.append(n)
        n += len(t) + 1  # c_string writes one byte per character
    if not texts:
        return '\t""', at
    out = []
    for k in range(0, len(texts), 4096):  # (a few thousand at a time: the texts at scale are tens of MB)
        chunk = texts[k:k + 4096]
        if _ODD.search("".join(chunk)) is None:  # printable ASCII (no newline): escaped all at once
            body = "\n".join(chunk).replace("\\", "\\\\").replace('"', '\\"').split("\n")
            out.append("\n".join(['\t"%s\\0"' % t for t in body]))
        else:
            out.append("\n".join(["\t%s\\0\"" % c_string(t)[:-1] for t in chunk]))
    return "\n".join(out), at


_ODD = re.compile(r'[^ -~]')  # anything but printable ASCII


def c_string(s):
    if _ODD.search(s) is None:
        return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
    out = ['"']
    for ch in s:
        if ch in '\\"':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\%03o" % (ord(ch) & 0xFF))
    out.append('"')
    return "".join(out)


def comment(s):
    return s.replace("*/", "* /").replace("\n", " ")


def write_if_changed(path, text):
    try:
        with open(path, "r", encoding="utf-8") as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return True


def used_refs(exprs):
    """The variables, parameters and inputs these expressions (and the transforms of their inputs) read."""
    seen = set()
    stack = list(exprs)
    while stack:
        e = stack.pop()
        if e.kind == "name" and e.ref is not None and e.ref[0] in ("var", "param", "input"):
            if id(e.ref[1]) not in seen:
                seen.add(id(e.ref[1]))
                if e.ref[0] == "input" and e.ref[1].transform is not None:
                    stack.append(e.ref[1].transform)
        stack.extend(e.args)
    return seen


def loads_of(s, em, exprs):
    used = used_refs(exprs)
    loads = []
    for v in s.vars:
        if id(v) in used:
            loads.append("const int64_t %s = S[%s];" % (em.vname(v), em.var_slot(v)))
    for p in s.params:
        if id(p) in used:
            loads.append("const int64_t %s = P[%s];" % (em.pname(p), em.param_index(p)))
    for i in s.inputs:
        if i.src is not None and id(i) in used:
            note = "" if em.shape else " /* %s%s */" % (i.src.full, ", %d ticks ago" % i.delay if i.delay else "")
            loads.append("const int64_t %s = %s;%s" % (em.iname(i), em.input_value(i), note))
    return loads


_LOAD = re.compile(r"const int64_t (\w+) = ([^;]*);")
_WORD = re.compile(r"\w+")


def prune(loads, codes):
    """The loads the emitted code still names. The C of min, max and clamp leaves out an operand its range
    proves cannot win (max(439, v) with v <= -3 is 439), so a name the rules read may not appear in the code;
    its load would be an unused variable, an error under -Werror. Input loads may name parameters (transforms)."""
    parsed = [(_LOAD.match(line), line) for line in loads]
    # A name appears in C text where it is a whole word: the words of each text, once.
    words = set(_WORD.findall("\n".join(codes)))
    names = [m.group(1) for m, _ in parsed]
    need = {n for n in names if n in words}
    if len(need) == len(names):  # the usual case: the code names every load
        return list(loads)
    # What the needed loads read (a transform's parameters), and what those read, ...
    reads = {m.group(1): m.group(2) for m, _ in parsed}
    todo = list(need)
    while todo:
        for w in _WORD.findall(reads[todo.pop()]):
            if w in reads and w not in need:
                need.add(w)
                todo.append(w)
    return [line for n, (_, line) in zip(names, parsed) if n in need]


def rules_view(s, em):
    """The loads and stores of s's step: (field, value code, next-state slot code)."""
    loads = loads_of(s, em, [v.rule for v in s.vars if v.rule is not None])
    stores = []
    for v in s.vars:
        if v.rule is not None:
            code = "(int32_t)%s" % clamp_store(em.c(v.rule), v.rule, v.lo, v.hi, em.k)
        else:
            code = "S[%s]" % em.var_slot(v)
        stores.append(("v%d" % s.vars.index(v) if em.shape else v.name, code, em.var_slot(v)))
    return prune(loads, [code for _, code, _ in stores]), stores


def handlers_view(s, em):
    handlers = []
    em.in_handler = True
    for stim in sorted({h.stim.name for h in s.handlers}):
        hs = [h for h in s.handlers if h.stim.name == stim]
        loads = loads_of(s, em, [h.expr for h in hs])
        stores = [(h.var.slot, "(int32_t)%s" % clamp_store(em.c(h.expr), h.expr, h.var.lo, h.var.hi), h.var.name)
                  for h in hs]
        handlers.append((stim, {"loads": prune(loads, [code for _, code, _ in stores]), "stores": stores}))
    em.in_handler = False
    return handlers


def subsystem_view(s, emitter):
    loads, stores = rules_view(s, emitter)
    return {
        "name": s.name, "doc": comment(s.doc), "every": s.every, "phase": s.phase,
        "loads": loads, "stores": stores, "shape": None,
        "handlers": handlers_view(s, Emitter(s, "s%d" % s.index, cfile=emitter.cfile)),
    }


SHAPE_MIN = 8  # subsystems of one form that share a step function instead of each having its own
# A member runs in its form's shared step function only if at least RUN_MIN of them run in its schedule slot
# (a run): for a few subsystems their own step functions are faster (no calls and gathers around them,
# constants folded rather than read), while long runs are what makes sharing pay at scale (the i-cache, fewer
# indirect calls, reads in order). The synthetic 129, CPU time, median of 5 interleaved runs at load 10: all
# own step functions (before gathered inputs) 592 M subsystem-ticks/s; runs of 2 or more shared 477 M (2,697
# instructions a tick, 2,265 before); runs of 3 or more 537 M (2,455). The synthetic 4,000: 386 M and 380 M.
RUN_MIN = 3
AGENDA_MAX_WORDS = 1 << 15  # a longer cycle's agenda (schedule_agenda) would be larger than the code it replaces
PREFETCH_AHEAD = 4  # how many subsystems ahead a shared step function asks for its scattered reads
_TOKEN = re.compile("\x01(\\d+)\x02")


def shareable(e):
    """Whether expression e's C can live in a function shared by many subsystems (no curve helper of its own)."""
    stack = [e]
    while stack:
        e = stack.pop()
        if e.kind == "call" and not B.FUNCTIONS[e.name].shareable:
            return False
        stack.extend(e.args)
    return True


class SharedTables:
    """The tables shared step and gather functions read, one after another in anima_gen_table_data16 (those
    whose values fit 16 bits) or anima_gen_table_data, each with a copy of its last value after it
    (anima_table_at)."""

    def __init__(self):
        self.offsets = {}  # table key -> offset in its array
        self.tables = {16: [], 32: []}
        self.words = {16: 0, 32: 0}

    def offset(self, key, t):
        off = self.offsets.get(key)
        if off is None:
            width = 16 if narrow(t) else 32
            off = self.offsets[key] = self.words[width]
            self.tables[width].append(t)
            self.words[width] += len(t.values) + 1
        return off


def globalize(em, tables):
    """em's constants with its table placeholders (indices into its own table list) made offsets into the
    build's shared table data (SharedTables), which grows as needed."""
    vals = list(em.vals)
    if em.table_positions:
        remap = {local: tables.offset(key, t) for key, (local, t) in em.shared_tables.items()}
        for pos in em.table_positions:
            vals[pos] = remap[em.vals[pos]]
    return vals


def find_shapes(cat, lay=None):
    """Groups subsystems whose rules have the same form (the same C but for their constants: slots, literals,
    tables). A form shared by SHAPE_MIN or more subsystems becomes one step function reading the constants
    that differ from a small per-subsystem array O, for its members in schedule slots that run at least
    RUN_MIN of them; the rest is specialised as usual. At the seed project's scale this is what keeps the C,
    the build and anima.efi linear with a small constant.

    The inputs are no part of a form: a shared step function reads each input of its subsystem as a word of
    S at a constant of the subsystem's: a plain input (a state slot, no transform) in place, at its source's
    slot; any other, already fetched and transformed, past the state (G = S + ANIMA_NVARS), where gather
    functions put it before the schedule slot's shared steps run, one per form of input (a delay ring of
    either kind, a state slot or ring through a given transform), each over all the slot's inputs of that
    form. Subsystems that differ only in which of their inputs are delayed or transformed share a step
    function: the synthetic 32,983 subsystems have 1,383 forms counting how their inputs are fetched (1,087
    of them with fewer than SHAPE_MIN members: 2,211 subsystems with their own step function), 6 without, and
    5 forms of gathered input. Plain inputs (three in four there) read in place rather than gathered cost
    about 40,000 fewer instructions a tick (720,893 instead of 760,638) and a copy of each through G."""
    forms = {}
    # The probe calls the update function of the subsystems it advances by name: they keep their own.
    probed = {id(t) for t in cat.probe.advance} if getattr(cat, "probe", None) is not None else set()
    for s in cat.subsystems:
        if id(s) in probed:
            continue
        em = Emitter(s, "shape", shared_tables={}, gather=True)
        loads, stores = renumber(em, *rules_view(s, em))
        if not em.shareable or not all(shareable(i.transform) for i in em.gathered if i.transform is not None):
            continue
        # (Which of its inputs are gathered is no part of it: each is a word of S at a constant of its own.)
        text = "\n".join(loads) + "\n" + "\n".join("%s\t%s\t%s" % st for st in stores)
        em.memo = em.cfile = em.helpers = None  # only its constants are needed from here on
        form = forms.get(text)
        if form is None:  # the first member's C stands for all
            forms[text] = (loads, stores, [(s, em)])
        else:
            form[2].append((s, em))
    chosen = []
    tables = SharedTables()
    for text, (loads, stores, members) in forms.items():
        if len(members) < SHAPE_MIN:
            continue
        runs = {}
        for s, _ in members:
            runs[(s.every, s.phase)] = runs.get((s.every, s.phase), 0) + 1
        members = [(s, em) for s, em in members if runs[(s.every, s.phase)] >= RUN_MIN]
        if len(members) < SHAPE_MIN:
            continue
        used = sorted({int(m) for m in _TOKEN.findall(text)})
        for s, em in members:
            em.global_vals = globalize(em, tables)
        # An input's word of S is the subsystem's own constant even where the members' happen to agree now:
        # its value is known only once the layout is final (below).
        inputs = {pos for pos, _ in members[0][1].input_positions}
        varying = [pos for pos in used if pos in inputs or len({em.global_vals[pos] for _, em in members}) > 1]
        # Named by its form (and what varies), not by its position: a shape keeps its name, and the files that
        # call it their text, whatever other shapes come and go.
        kid = hashlib.sha256(("%s\n%r" % (text, varying)).encode()).hexdigest()[:12]
        chosen.append((kid, loads, stores, members, varying))
    if lay is not None:
        # Each slot's subsystems in the order the schedule runs them (shapes by name, then the rest), and the
        # state slots in the constants taken again from that layout. A slot varies between members whatever
        # the layout, so the varying positions, and the names, stay the same.
        rank = {id(s): kid for kid, _, _, members, _ in chosen for s, _ in members}
        lay.order_slots(lambda s: (0, rank[id(s)], s.index) if id(s) in rank else (1, "", s.index))
        for _, _, _, members, _ in chosen:
            for s, em in members:
                for pos, v in em.var_positions:
                    em.global_vals[pos] = v.slot
    # Where the gather functions put each member's inputs other than plain ones: past the state, from
    # ANIMA_NVARS on, one subsystem after another in the order its schedule slot runs them (shapes by name,
    # as ordered above); the next slot uses the same words again.
    ems = {id(s): em for _, _, _, members, _ in chosen for s, em in members}
    gather_words = 0
    for sl in (lay.slots if lay is not None else []):
        g = 0
        for s in sl.subsystems:
            em = ems.get(id(s))
            if em is None:
                continue
            s.gather_at = g
            for pos, j in em.input_positions:
                if j is not None:
                    em.global_vals[pos] = lay.nvars + g + j
            g += len(em.gathered)
        gather_words = max(gather_words, g)
    shapes = []
    gforms = {}  # a gather form's text -> (its C lines, [each item's constants], [each item's holder])
    for kid, loads, stores, members, varying in chosen:
        first = members[0][1].global_vals
        stored, derived = derive(varying, [em.global_vals for _, em in members])
        loads = [instantiate(l, stored, derived, first) for l in loads]
        stores = [tuple(instantiate(x, stored, derived, first) for x in st) for st in stores]
        shapes.append({"id": kid, "loads": loads, "stores": stores, "count": len(members),
                       "nops": len(stored), "inputs": len(members[0][1].input_positions),
                       "prefetch": prefetches(loads)})
        for s, em in members:
            s.shape = (kid, [em.global_vals[pos] for pos in stored], [gather_item(s, i, tables, gforms)
                                                                       for i in em.gathered])
    gathers = []
    for gtext, (lines, vals, holders) in gforms.items():
        used = sorted({int(m) for m in _TOKEN.findall(gtext)})
        varying = [pos for pos in used if len({v[pos] for v in vals}) > 1]
        gid = hashlib.sha256(("%s\n%r" % (gtext, varying)).encode()).hexdigest()[:12]
        stored, derived = derive(varying, vals)
        # O[0] of an item is where its value goes in G; its constants follow.
        code = [instantiate(l, stored, derived, vals[0], base=1) for l in lines]
        gathers.append({"id": gid, "loads": code[:-1], "value": code[-1], "count": len(vals),
                        "nops": 1 + len(stored)})
        for holder, v in zip(holders, vals):
            holder[:] = [gid, [v[pos] for pos in stored]]
    gathers.sort(key=lambda g: g["id"])
    return shapes, gathers, tables, gather_words


def renumber(em, loads, stores):
    """The loads and stores with their placeholders numbered in the order they appear, and em's constants to
    match: a constant the pruned C no longer names (a parameter only an input's transform reads, now in a
    gather function) leaves no gap that would make the text differ from its form's."""
    order = {}
    for text in loads + [x for st in stores for x in st]:
        for m in _TOKEN.findall(text):
            order.setdefault(int(m), len(order))
    if all(old == new for old, new in order.items()) and len(order) == len(em.vals):
        return loads, stores

    def sub(m):
        return "\x01%d\x02" % order[int(m.group(1))]
    em.vals = [em.vals[old] for old in sorted(order, key=order.get)]
    em.table_positions = [order[pos] for pos in em.table_positions if pos in order]
    em.var_positions = [(order[pos], v) for pos, v in em.var_positions if pos in order]
    em.input_positions = [(order[pos], j) for pos, j in em.input_positions if pos in order]
    return [_TOKEN.sub(sub, l) for l in loads], [tuple(_TOKEN.sub(sub, x) for x in st) for st in stores]


def instantiate(text, stored, derived, vals, base=0):
    """A form's C for its members: a placeholder the members share is a literal (vals: a member's constants),
    a stored one is O[base + its index], a derived one that plus its number."""
    index = {pos: j for j, pos in enumerate(stored)}

    def sub(m):
        pos = int(m.group(1))
        if pos in index:
            return "(int64_t)O[%d]" % (base + index[pos])
        if pos in derived:
            b, delta = derived[pos]
            return "((int64_t)O[%d] + %s)" % (base + index[b], lit(delta))
        return lit(vals[pos])
    return _TOKEN.sub(sub, text)


def gather_item(s, i, tables, gforms):
    """Input i of shape member s as an item of its gather form: the form's text is the C that fetches and
    transforms it, with its constants (source slot, ring, table, parameters) as placeholders. Returns the
    item's holder, which find_shapes fills with [gather form id, its stored constants]."""
    em = Emitter(s, "shape", shared_tables={})
    value = em.input_source(i)
    loads = []
    if i.transform is not None:
        used = used_refs([i.transform])
        loads = ["const int64_t %s = P[%s];" % (em.pname(p), em.param_index(p)) for p in s.params if id(p) in used]
    lines = loads + [value]
    text = "\n".join(lines)
    form = gforms.get(text)
    if form is None:
        form = gforms[text] = (lines, [], [])
    holder = []
    form[1].append(globalize(em, tables))
    form[2].append(holder)
    return holder


def derive(varying, vals):
    """Splits the varying constants of a shape's members (vals: each member's values by position) into those
    stored in O and those that are a stored one plus the same number in every member (a subsystem's second
    variable is in the slot after its first, its second parameter after its first): {pos: (base, delta)}.
    Fewer constants to read per subsystem, and a smaller table."""
    stored, derived = [], {}
    for pos in varying:
        for base in stored:
            delta = vals[0][pos] - vals[0][base]
            if -(1 << 31) < delta < (1 << 31) and all(v[pos] - v[base] == delta for v in vals):
                derived[pos] = (base, delta)
                break
        else:
            stored.append(pos)
    return stored, derived


_SCATTERED = re.compile(r"const int64_t (\w+) = .*?\b([SP])\[\(int64_t\)O\[(\d+)\]\]")


def prefetches(loads):
    """What a shape's step reads at addresses its constants give, other than its own state (laid out in the
    order the step visits its subsystems, so read in address order): the inputs' sources and the parameters,
    as (array, constant index). The step asks for them some subsystems ahead (shapes.c.j2), so that a large
    catalogue's scattered reads overlap the work instead of stalling it."""
    out = []
    for line in loads:
        m = _SCATTERED.match(line)
        if m and not m.group(1).startswith("v") and (m.group(2), int(m.group(3))) not in out:
            out.append((m.group(2), int(m.group(3))))
    return out


def describe_texts(cat):
    """The JSON text of each column, parameter (without its closing brace: the program adds the run's value)
    and stimulus, for anima-sim --describe."""
    # json.dumps of {"name": ..., "unit": ..., ...} written out (a dict and an encoder call each, 140,000 times
    # at scale, were most of this): the same text.
    jstr = json.encoder.encode_basestring_ascii

    def col(v):
        return '{"name": %s, "unit": %s, "scale": %s, "range": [%d, %d], "doc": %s%s}' % (
            jstr(v.full), jstr(v.unit), json.dumps(v.scale), v.lo, v.hi, jstr(v.doc),
            ', "values": %s' % json.dumps(v.values) if v.values else "")

    def param(p):
        return '{"name": %s, "range": [%d, %d], "unit": %s, "doc": %s' % (
            jstr(p.full), p.lo, p.hi, jstr(p.unit), jstr(p.doc))

    def stim(st):
        d = {"name": st.name, "range": [st.lo, st.hi], "auto": st.auto, "doc": st.doc}
        return json.dumps(d)
    texts = [col(v) for v in cat.variables] + [param(p) for p in cat.params] + [stim(st) for st in cat.stimuli]
    text, at = string_table(texts)
    nv, np_ = len(cat.variables), len(cat.params)
    return {"describe_text": text, "describe_columns": at[:nv], "describe_params": at[nv:nv + np_],
            "describe_stimuli": at[nv + np_:]}


def probe_view(p):
    """The probe as tables for core/probe.c (docs/catalogue.md, 'probe')."""
    if p is None:
        return None
    slots = sorted(v.slot for s in p.advance for v in s.vars)
    return {"every": p.every, "every_param": p.every_param.index if p.every_param is not None else -1,
            "phase": p.phase, "step_every": p.step_every, "step_phase": p.step_phase,
            "baseline": p.baseline, "window": p.window, "threshold": p.threshold, "floor": p.floor,
            "into": p.into.slot, "fns": ["anima_u_%s" % s.name for s in p.advance],
            "slots": slots, "observe": [(v.slot, v.full) for v in p.observe],
            "perturb": [(v.slot, a, v.lo, v.hi, v.full) for v, a in p.perturb]}


def schedule_agenda(slot_views):
    """The schedule of the slots updated less often than every tick as one agenda: the schedule repeats every
    `cycle` ticks (the least common multiple of their periods), and at tick p of the cycle the slots due are
    slots[at[p]:at[p + 1]] (indexes into `runs`, in the order of slot_views). anima_gen_tick looks its tick
    up instead of testing every period's phase (two switches per period, most of them on nothing due). None
    when the agenda would be larger than AGENDA_MAX_WORDS (periods with a long common cycle, such as 7 and
    86400); the schedule then tests every period as before."""
    runs = [v for v in slot_views if v["every"] > 1]
    cycle = 1
    for v in runs:
        cycle = cycle * v["every"] // math.gcd(cycle, v["every"])
    if not runs or cycle + 1 + sum(cycle // v["every"] for v in runs) > AGENDA_MAX_WORDS:
        return None
    due = [[] for _ in range(cycle)]
    for k, v in enumerate(runs):
        for p in range(v["phase"], cycle, v["every"]):
            due[p].append(k)
    at, slots = [0], []
    for d in due:
        slots += d
        at.append(len(slots))
    return {"cycle": cycle, "runs": runs, "at": at, "slots": slots,
            "slot_type": "uint8_t" if len(runs) <= 256 else "uint16_t",
            "rings": [r for v in runs for r in v["rings"]]}


class _Files(dict):
    """The generated files by name: each is written (when its text changed) as soon as it is rendered, and only
    its name is kept, so a large catalogue's C is never all in memory at once."""

    def __init__(self, outdir):
        super().__init__()
        self.outdir = outdir
        self.changed = []

    def __setitem__(self, name, text):
        if write_if_changed(os.path.join(self.outdir, name), text):
            self.changed.append(name)
        super().__setitem__(name, None)


def render(cat, outdir, source_name):
    lay = L.Layout(cat)
    env = environment()
    os.makedirs(outdir, exist_ok=True)
    common = {"source": os.path.basename(source_name)}
    files = _Files(outdir)
    for s in cat.subsystems:
        s.shape = None
    tables = Tables()
    shapes, gathers, shape_tables, gather_words = find_shapes(cat, lay)
    meta_hash, part_hashes = cat.part_hashes  # (model.canonical_parts)
    for (name, parts), (_, part) in zip(lay.chunks, part_hashes):
        views = []
        cfile = CFile(tables)
        for s in (s for _, subs in parts for s in subs):
            if s.shape is not None:
                views.append({"name": s.name, "doc": comment(s.doc), "every": s.every, "phase": s.phase,
                              "shape": s.shape[0], "ops": s.shape[1],
                              "handlers": handlers_view(s, Emitter(s, "s%d" % s.index, cfile=cfile))})
                continue
            views.append(subsystem_view(s, Emitter(s, "s%d" % s.index, cfile=cfile)))
        files[name + ".c"] = env.get_template("group.c.j2").render(
            groups=[{"name": g.name, "doc": comment(g.doc)} for g, _ in parts], subsystems=views, helpers=cfile.helpers,
            part={"name": name, "hash": "0x%016xULL" % part}, **common)
    stim_handlers = []
    for st in cat.stimuli:
        hs = []
        for s in cat.subsystems:
            vars_ = [h.var.slot for h in s.handlers if h.stim is st]
            if vars_:
                hs.append({"sub": s.name, "slots": sorted(set(vars_))})
        stim_handlers.append({"name": st.name, "index": st.index, "handlers": hs})
    slot_views, run_views = [], []
    prefetching = {sh["id"]: bool(sh["prefetch"]) for sh in shapes}
    update_rings = {}
    for r in lay.rings:
        if r.every:
            update_rings.setdefault((r.src.sub.every, r.src.sub.phase), []).append(r)
    for sl in lay.slots:
        name = "%d_%d" % (sl.every, sl.phase)
        by_shape = {}
        fns = []
        for s in sl.subsystems:
            if s.shape is not None:
                by_shape.setdefault(s.shape[0], []).append(s)
            else:
                fns.append("anima_u_%s" % s.name)
        # Subsystems that share a step function run as one call over their constants, laid out one after another
        # (anima_gen_runs.c): no code per subsystem, and the data is read in order.
        runs = [{"shape": k, "count": len(m), "members": [(s.name, s.shape[1]) for s in m],
                 "pad": PREFETCH_AHEAD if prefetching[k] else 0}
                for k, m in sorted(by_shape.items())]
        # Their inputs other than plain ones, fetched before the runs into G (the words past the state) one
        # subsystem after another (find_shapes): one gather run per form of input, each item's first constant
        # where its value goes in G.
        by_gather = {}
        for k, m in sorted(by_shape.items()):
            for s in m:
                for j, (gid, ops) in enumerate(s.shape[2]):
                    by_gather.setdefault(gid, []).append((s.name, [s.gather_at + j] + ops))
        # Each gather run's inputs in the order of their constants (the source's state slot or delay ring
        # first), not of the subsystems that read them: the scattered reads go through S and D in address
        # order, and the writes to G, which they scatter instead, stay within a few KB.
        gruns = [{"gather": k, "count": len(m), "members": sorted(m, key=lambda item: (item[1][1:], item[1][0]))}
                 for k, m in sorted(by_gather.items())]
        slot_views.append({"every": sl.every, "phase": sl.phase, "first": sl.first, "count": sl.count,
                           "name": name, "fns": fns, "runs": len(runs), "gathers": len(gruns),
                           "rings": update_rings.get((sl.every, sl.phase), [])})
        if runs:
            run_views.append({"name": name, "runs": runs, "gathers": gruns})
    rate_views = [{"every": r, "slots": [v for v in slot_views if v["every"] == r]} for r in lay.rates]
    agenda = schedule_agenda(slot_views)
    header = "tick," + ",".join(v.full for v in cat.variables)
    group_index = {g.name: k for k, g in enumerate(cat.groups)}
    params = cat.params  # (a list built at each use)
    nparams = len(params)
    names_text, name_at = string_table([p.full for p in params] +
                                       [s.name for s in cat.subsystems])
    cause_names = cat.cause.values if cat.cause is not None else []
    ctx = dict(common,
               nvars=lay.nvars, nparams=len(cat.params), nsubsystems=len(cat.subsystems),
               ncouplings=len(cat.couplings), ngroups=len(cat.groups), nstimuli=len(cat.stimuli),
               nrates=len(lay.rates), delay_words=lay.delay_words, nrings=len(lay.rings),
               gather_words=gather_words,
               alive_slot=cat.alive.slot if cat.alive is not None else -1,
               cause_slot=cat.cause.slot if cat.cause is not None else -1,
               ncauses=len(cause_names), cause_names=cause_names,
               init=lay.init_state(), params=[p.value for p in cat.params],
               param_ranges=[(p.lo, p.hi) for p in cat.params],
               param_traits=[(p.index, p.dist, p.sd, T.key(p.full)) for p in cat.params if p.dist],
               trace_slots=[v.slot for v in cat.variables], header=header,
               stimuli=cat.stimuli, stim_handlers=stim_handlers,
               slots=slot_views, rates=rate_views, rings=lay.rings, agenda=agenda,
               tick_rings=[r for r in lay.rings if not r.every],
               ring_tables=any(len(v["rings"]) > 4 for v in slot_views),
               # the periods of per-update rings that shared step functions read (layout.Ring.entry_code)
               epoch_rates=sorted({(i.ring.rate, i.ring.every) for s in cat.subsystems if s.shape is not None
                                   for i in s.inputs if i.delay > 0 and i.ring.every}),
               all_subsystems=[s.name for s in cat.subsystems if s.shape is None],
               subsystem_descs=[(name_at[nparams + k], group_index[s.group.name],
                                 s.vars[0].index + 1 if s.vars else 0, len(s.vars), s.name)
                                for k, s in enumerate(cat.subsystems)],
               names_text=names_text, param_name_at=name_at[:nparams],
               group_names=[g.name for g in cat.groups],
               var_ranges=[(v.lo, v.hi) for v in cat.variables])
    ctx["probe"] = probe_view(cat.probe)
    ctx["shapes"] = shapes
    ctx["gathers"] = gathers
    ctx["prefetch_ahead"] = PREFETCH_AHEAD
    ctx["run_views"] = run_views
    ctx["shape_tables"] = shape_tables
    ctx["tables"] = tables.sorted()
    ctx["meta_hash"] = "0x%016xULL" % meta_hash
    ctx["layout_hash"] = "0x%016xULL" % M.layout_hash(cat, lay)
    ctx["parts"] = [name for name, _ in part_hashes]
    files["anima_gen.h"] = env.get_template("anima_gen.h.j2").render(**ctx)
    files["anima_gen_shapes.c"] = env.get_template("shapes.c.j2").render(**ctx)
    files["anima_gen_schedule.c"] = env.get_template("schedule.c.j2").render(**ctx)
    files["anima_gen_meta.c"] = env.get_template("meta.c.j2").render(**ctx)
    files["anima_gen_describe.c"] = env.get_template("describe.c.j2").render(**dict(ctx, **describe_texts(cat)))
    files["anima_gen_tables.c"] = env.get_template("tables.c.j2").render(**ctx)
    files["anima_gen_runs.c"] = env.get_template("runs.c.j2").render(**ctx)
    # Files of groups that no longer exist would be compiled by nothing, but remove them to avoid confusion.
    keep = set(files)
    for name in os.listdir(outdir):
        if name.startswith("group_") and name.endswith(".c") and name not in keep:
            os.remove(os.path.join(outdir, name))
    return sorted(files), sorted(files.changed)
