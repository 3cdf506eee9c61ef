"""Where every variable lives at run time and when every subsystem runs.

Variables are laid out by schedule slot (update period, then phase), so that all variables updated in one
tick by one slot are contiguous and committing them is a single copy. Delayed couplings get ring buffers.

A delayed source that changes only when its own subsystem runs (every E ticks at phase p) has a ring with one
entry per update, not per tick: entry floor(tick / E) (mod its size) is written when the slot commits, and
the value at the end of tick x is entry floor((x - p) / E), the last update at or before x. The ring is E times
smaller and is written once per E ticks, which is what keeps the rings of a large catalogue (tens of MB with
one entry per tick) out of the caches' way. A source that can change between its updates (a stimulus handler
or the probe writes it), one updated every tick, and one read by a subsystem the probe advances (the probe
steps it at later ticks than the rings have recorded, and must see what it always saw) keeps one entry per tick.
"""

CHUNK_SUBSYSTEMS = 64  # generated C is split per group, and groups into chunks of this many subsystems
MAX_GROUP_FILES = 64  # more group files than this: packed into PACK_FILES files (see plan())
PACK_FILES = 32


class Slot:
    def __init__(self, every, phase):
        self.every, self.phase = every, phase
        self.subsystems = []
        self.first = self.count = 0


class Ring:
    """The delayed values of `src`: `size` entries, entry e at D[offset + e * stride]. every == 0: one entry
    per tick, entry tick % size; every == E > 0: one entry per update of src's subsystem, entry
    floor(tick / E) % size, written at its updates (src.sub.phase).

    Rings written at the same ticks (one entry per tick, or per update of one schedule slot) and of one size
    are interleaved, entry by entry: stride is their number, and the entries one tick writes, and mostly
    those the readers of one delay read, are side by side in D rather than a ring's length apart. At 32,983
    synthetic subsystems a tick wrote about 300 entries to as many cache lines of a 6 MB array."""

    def __init__(self, src, size, every):
        self.src, self.size, self.every = src, size, every
        self.offset = 0
        self.stride = 1

    def entry(self, pos, k, shared):
        """C for where entry `pos` (C, not yet masked) is in D."""
        if self.stride == 1 and not shared:
            return "%s + (%s & %s)" % (k(self.offset), pos, k(self.size - 1))
        return "%s + (%s & %s) * %s" % (k(self.offset), pos, k(self.size - 1), k(self.stride))

    def entry_code(self, back, k, shared=False):
        """C for the index into D of the value src had at the end of tick c->tick - back; k writes a constant.
        Per update: entry floor((x - p) / E) with x = tick - back. In a subsystem's own code that is
        floor((tick + A) / E) with A = E * size - back - p >= 0 (size > back / E + 2, so A keeps the numerator
        non-negative from tick 0 on and adds exactly `size` to the quotient, which the mask takes off), E a
        literal, so the division is a multiplication. A shared step function serves subsystems whose sources
        have different periods: with back + p = E * qb + rb (0 <= rb < E) the entry is
        floor(tick / E) - qb - (tick % E < rb), from c->epoch and c->rem of E's rate (anima_gen_tick)."""
        if not self.every:
            return self.entry("(c->tick - %s)" % k(back), k, shared)
        if shared:
            qb, rb = divmod(back + self.src.sub.phase, self.every)
            rate = k(self.rate)
            return self.entry("(c->epoch[%s] - %s - (c->rem[%s] < %s))" % (rate, k(qb), rate, k(rb)), k, shared)
        a = self.every * self.size - back - self.src.sub.phase
        assert a >= 0
        return self.entry("((c->tick + %s) / %d)" % (k(a), self.every), k, shared)


class Layout:
    def __init__(self, cat):
        self.cat = cat
        self.rates = sorted({s.every for s in cat.subsystems})
        slots = {}
        for s in cat.subsystems:
            slots.setdefault((s.every, s.phase), Slot(s.every, s.phase)).subsystems.append(s)
        self.slots = [slots[k] for k in sorted(slots)]
        self.slot_of = slots
        self.nvars = self.place()
        per_tick = per_tick_sources(cat)
        rings = {}
        for i in cat.couplings:
            if i.src is not None and i.delay > 0:
                every = 0 if i.src.index in per_tick else i.src.sub.every
                need = i.delay + 1 if not every else i.delay // every + 3
                size = 1
                while size < need:
                    size <<= 1
                r = rings.get(i.src.index)
                if r is None or r.size < size:
                    rings[i.src.index] = Ring(i.src, size, every)
        # Rings written together (per tick, or at one schedule slot's updates) and of one size, interleaved.
        together = {}
        for k in sorted(rings):
            r = rings[k]
            key = (r.every, r.src.sub.phase if r.every else 0, r.size)
            together.setdefault(key, []).append(r)
        self.rings = []
        off = 0
        for key in sorted(together):
            group = together[key]
            for j, r in enumerate(group):
                r.offset, r.stride = off + j, len(group)
                r.rate = self.rates.index(r.src.sub.every)  # the index of its period in anima_rate_every
                self.rings.append(r)
            off += len(group) * group[0].size
        self.delay_words = off
        ring_of = {r.src.index: r for r in self.rings}
        for i in cat.couplings:
            if i.src is not None and i.delay > 0:
                i.ring = ring_of[i.src.index]
        self.chunks = chunks(cat)

    def place(self):
        """Gives every variable its slot: slot after slot, each slot's subsystems in their order there."""
        n = 0
        for sl in self.slots:
            sl.first = n
            for s in sl.subsystems:
                for v in s.vars:
                    v.slot = n
                    n += 1
            sl.count = n - sl.first
        return n

    def order_slots(self, key):
        """Orders each slot's subsystems by key(subsystem) and places the variables again. find_shapes puts the
        subsystems that share a step function in the order that function visits them, so that the state it
        reads of them and the next state it writes are read and written in address order."""
        for sl in self.slots:
            sl.subsystems.sort(key=key)
        self.place()

    def init_state(self):
        out = [0] * self.nvars
        for v in self.cat.variables:
            out[v.slot] = v.init
        return out


def per_tick_sources(cat):
    """Catalogue indices of the variables whose delay ring keeps one entry per tick (see the module's doc)."""
    out = {v.index for s in cat.subsystems if s.every == 1 for v in s.vars}
    out |= {h.var.index for s in cat.subsystems for h in s.handlers}
    probe = getattr(cat, "probe", None)
    if probe is not None:
        if probe.into is not None:
            out.add(probe.into.index)
        out |= {i.src.index for s in probe.advance for i in s.inputs if i.src is not None and i.delay > 0}
    return out


def chunks(cat):
    """The generated group files: [(file name without .c, [(group, its subsystems in this file)])]."""
    out = []
    for name, parts in plan([(g.name, len(g.subsystems)) for g in cat.groups]):
        out.append((name, [(cat.groups[gi], cat.groups[gi].subsystems[a:b]) for gi, a, b in parts]))
    return out


def plan(group_sizes):
    """Which subsystems each group file holds, from the groups' names and sizes alone (so the build system can
    ask before rendering): [(file name without .c, [(group index, first subsystem, end)])].

    A group has a file of its own (`group_NAME.c`, or `group_NAME_K.c` per CHUNK_SUBSYSTEMS subsystems), so an
    edit recompiles only its group's file. A catalogue of more than MAX_GROUP_FILES such files is packed into
    PACK_FILES files (`group__pack_K.c`, consecutive chunks, about the same number of subsystems each): a
    compiler started a thousand times costs more than the code it compiles, and -j2 needs only a few files."""
    chunked = []
    for gi, (name, size) in enumerate(group_sizes):
        n = max(1, (size + CHUNK_SUBSYSTEMS - 1) // CHUNK_SUBSYSTEMS)
        for k in range(n):
            fname = "group_%s" % name if n == 1 else "group_%s_%d" % (name, k)
            chunked.append((fname, gi, k * CHUNK_SUBSYSTEMS, min(size, (k + 1) * CHUNK_SUBSYSTEMS)))
    if len(chunked) <= MAX_GROUP_FILES:
        return [(fname, [(gi, a, b)]) for fname, gi, a, b in chunked]
    per = (sum(size for _, size in group_sizes) + PACK_FILES - 1) // PACK_FILES
    files, cur, count = [], [], 0
    for _, gi, a, b in chunked:
        if cur and cur[-1][0] == gi and cur[-1][2] == a:
            cur[-1] = (gi, cur[-1][1], b)  # the next chunk of the same group: one range
        else:
            cur.append((gi, a, b))
        count += b - a
        if count >= per:
            files.append(cur)
            cur, count = [], 0
    if cur:
        files.append(cur)
    return [("group__pack_%d" % k, parts) for k, parts in enumerate(files)]


def chunk_names(group_sizes):
    """The generated file names for groups of these sizes; the build system asks for them before rendering."""
    return ["%s.c" % name for name, _ in plan(group_sizes)]
