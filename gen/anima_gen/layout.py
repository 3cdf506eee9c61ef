"""Where every variable lives at run time and when every subsystem runs.

Variables are laid out by schedule slot (update period, then phase), so that all variables updated in one
tick by one slot are contiguous and committing them is a single copy. Delayed couplings get ring buffers.
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
