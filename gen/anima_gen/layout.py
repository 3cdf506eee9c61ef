"""Where every variable lives at run time and when every subsystem runs.

Variables are laid out by schedule slot (update period, then phase), so that all variables updated in one
tick by one slot are contiguous and committing them is a single copy. Delayed couplings get ring buffers.
"""

CHUNK_SUBSYSTEMS = 64  # generated C is split per group, and groups into chunks of this many subsystems


class Slot:
    def __init__(self, every, phase):
        self.every, self.phase = every, phase
        self.subsystems = []
        self.first = self.count = 0


class Ring:
    def __init__(self, src, size):
        self.src, self.size = src, size
        self.offset = 0


class Layout:
    def __init__(self, cat):
        self.cat = cat
        self.rates = sorted({s.every for s in cat.subsystems})
        slots = {}
        for s in cat.subsystems:
            slots.setdefault((s.every, s.phase), Slot(s.every, s.phase)).subsystems.append(s)
        self.slots = [slots[k] for k in sorted(slots)]
        self.slot_of = slots
        n = 0
        for sl in self.slots:
            sl.first = n
            for s in sl.subsystems:
                for v in s.vars:
                    v.slot = n
                    n += 1
            sl.count = n - sl.first
        self.nvars = n
        rings = {}
        for i in cat.couplings:
            if i.src is not None and i.delay > 0:
                size = 1
                while size < i.delay + 1:
                    size <<= 1
                r = rings.get(i.src.index)
                if r is None or r.size < size:
                    rings[i.src.index] = Ring(i.src, size)
        self.rings = [rings[k] for k in sorted(rings)]
        off = 0
        for r in self.rings:
            r.offset = off
            off += r.size
        self.delay_words = off
        ring_of = {r.src.index: r for r in self.rings}
        for i in cat.couplings:
            if i.src is not None and i.delay > 0:
                i.ring = ring_of[i.src.index]
        self.chunks = chunks(cat)

    def init_state(self):
        out = [0] * self.nvars
        for v in self.cat.variables:
            out[v.slot] = v.init
        return out


def chunks(cat):
    """The generated group files: [(file name without .c, group, its subsystems)]."""
    out = []
    for g in cat.groups:
        subs = g.subsystems
        parts = [subs[k:k + CHUNK_SUBSYSTEMS] for k in range(0, len(subs), CHUNK_SUBSYSTEMS)] or [[]]
        for k, part in enumerate(parts):
            name = "group_%s" % g.name if len(parts) == 1 else "group_%s_%d" % (g.name, k)
            out.append((name, g, part))
    return out


def chunk_names(group_sizes):
    """The generated file names for groups of these sizes; the build system asks for them before rendering."""
    out = []
    for name, size in group_sizes:
        n = max(1, (size + CHUNK_SUBSYSTEMS - 1) // CHUNK_SUBSYSTEMS)
        out += ["group_%s.c" % name] if n == 1 else ["group_%s_%d.c" % (name, k) for k in range(n)]
    return out
