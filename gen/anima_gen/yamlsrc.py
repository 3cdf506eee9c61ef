"""Reads a catalogue file into a small tree of nodes that remember where they stand in the file.

PyYAML alone is not enough: it accepts duplicate keys silently, expands aliases without limit and reports
tabs and encoding errors in its own words. Here each of those is one `FILE:LINE:COLUMN: error:` line.
"""
import yaml

from .diag import Fatal, Pos

MAX_FILE_BYTES = 64 * 1024 * 1024  # a 33,000-subsystem catalogue is ~26 MB
MAX_NODES = 2_000_000  # after alias expansion: a guard against alias bombs
# Nesting of YAML collections. A catalogue needs about 8; PyYAML's composer (C and Python alike) recurses per
# level and segfaults or overflows Python's stack some thousands deep, so the depth is measured on the parser's
# events (a state machine, no recursion) before anything is composed.
MAX_DEPTH = 100

_INT = "tag:yaml.org,2002:int"
_STR = "tag:yaml.org,2002:str"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"


class Node:
    __slots__ = ("pos", "end")


class Map(Node):
    __slots__ = ("items", "index")

    def __init__(self, pos):
        self.pos = pos
        self.items = []  # [(key str, key node, value node)]
        self.index = {}

    def get(self, key):
        hit = self.index.get(key)
        return hit[1] if hit else None

    def keypos(self, key):
        hit = self.index.get(key)
        return hit[0].pos if hit else self.pos


class Seq(Node):
    __slots__ = ("items",)

    def __init__(self, pos):
        self.pos = pos
        self.items = []


class Scalar(Node):
    """value is int, str, bool, float or None; text is the expression source with its position map."""
    __slots__ = ("value", "kind", "src_text", "src_start", "style")

    def __init__(self, pos, value, kind):
        self.pos = pos
        self.value = value
        self.kind = kind  # "int" "str" "float" "bool" "null"


class Source:
    def __init__(self, filename, text):
        self.filename = filename
        self.text = text
        self.line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self.line_starts.append(i + 1)

    def pos_of(self, index):
        import bisect
        line = bisect.bisect_right(self.line_starts, index) - 1
        return Pos(line + 1, index - self.line_starts[line] + 1)


def _mark_pos(mark):
    return Pos(mark.line + 1, mark.column + 1)


def read_source(filename, diag):
    try:
        with open(filename, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        diag.error(Pos(1, 1), "cannot read file: %s" % (e.strerror or e))
        raise Fatal()
    if len(data) > MAX_FILE_BYTES:
        diag.error(Pos(1, 1), "file is larger than %d MiB" % (MAX_FILE_BYTES >> 20))
        raise Fatal()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        diag.error(Pos(line, col), "file is not valid UTF-8 (byte 0x%02x)" % data[e.start])
        raise Fatal()
    if text.startswith("\ufeff"):
        text = text[1:]
    src = Source(filename, text)
    bad = False
    for n, line in enumerate(text.split("\n")):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            diag.error(Pos(n + 1, len(line) - len(stripped) + 1), "tab character in indentation (use spaces)")
            bad = True
    if bad:
        raise Fatal()
    if not text.strip() or all(l.strip().startswith("#") or not l.strip() for l in text.split("\n")):
        diag.error(Pos(1, 1), "empty catalogue (expected a mapping with 'anima', 'stimuli' and 'groups')")
        raise Fatal()
    return src


def too_deep(text, loader):
    """The start of the first collection nested deeper than MAX_DEPTH, or None."""
    depth = 0
    for ev in yaml.parse(text, Loader=loader):
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                return ev.start_mark
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return None


def load(filename, diag):
    src = read_source(filename, diag)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        deep = too_deep(src.text, loader)
        if deep is not None:
            diag.error(_mark_pos(deep), "YAML nested more than %d levels deep" % MAX_DEPTH)
            raise Fatal()
        root = yaml.compose(src.text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        msg = e.problem or e.context or "YAML syntax error"
        if e.context and e.problem:
            msg = "%s %s" % (e.problem, e.context)
            cm = e.context_mark
            if cm is not None and mark is not None and cm.line != mark.line:
                msg += " (opened at line %d)" % (cm.line + 1)
        msg = msg.replace("\t", "\\t")
        diag.error(_mark_pos(mark) if mark else Pos(1, 1), "YAML syntax: %s" % msg)
        raise Fatal()
    except yaml.YAMLError as e:
        diag.error(Pos(1, 1), "YAML syntax: %s" % str(e).splitlines()[0])
        raise Fatal()
    if root is None:
        diag.error(Pos(1, 1), "empty catalogue (expected a mapping with 'anima', 'stimuli' and 'groups')")
        raise Fatal()
    # A large catalogue is large without aliases; a bomb is one whose aliases multiply what is written.
    limit = max(MAX_NODES, 4 * _distinct(root))
    big = _too_big(root, limit)
    if big is not None:
        diag.error(_mark_pos(big.start_mark),
                   "more than %d YAML nodes after expanding aliases (an alias bomb?)" % limit)
        raise Fatal()
    conv = _Converter(src, diag, limit)
    tree = conv.convert(root)
    return src, tree


def _children(node):
    if isinstance(node, yaml.MappingNode):
        return [n for kv in node.value for n in kv]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return ()


def _distinct(root):
    """How many nodes the composed graph has, each anchored node counted once however often it is aliased."""
    seen = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(_children(node))
    return len(seen)


def _too_big(root, limit):
    """None when the tree has at most `limit` nodes once aliases are expanded, else the node to blame: one whose
    expansion is too big while none of its children's is. Counted on the composed graph, where an alias is the
    anchored node itself, so a billion laughs costs a few thousand steps instead of `limit` conversions."""
    size = {}
    onpath = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        k = id(node)
        if done:
            onpath.discard(k)
            size[k] = min(limit + 1, 1 + sum(size[id(c)] for c in _children(node)))
            continue
        if k in size:
            continue
        if k in onpath:  # a recursive alias: left to the converter's depth limit
            size[k] = 1
            continue
        onpath.add(k)
        stack.append((node, True))
        stack.extend((c, False) for c in _children(node) if id(c) not in size)
    if size[id(root)] <= limit:
        return None
    node = root
    while True:
        over = [c for c in _children(node) if size[id(c)] > limit]
        if not over:
            return node
        node = over[0]


class _Converter:
    def __init__(self, src, diag, limit=MAX_NODES):
        self.src = src
        self.diag = diag
        self.limit = limit
        self.count = 0
        self.constructor = yaml.SafeLoader("")

    def convert(self, node, depth=0):
        self.count += 1
        if self.count > self.limit:
            self.diag.error(_mark_pos(node.start_mark),
                            "more than %d YAML nodes after expanding aliases (an alias bomb?)" % self.limit)
            raise Fatal()
        if depth > 64:
            self.diag.error(_mark_pos(node.start_mark), "nesting deeper than 64 levels")
            raise Fatal()
        pos = _mark_pos(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            out = Map(pos)
            for knode, vnode in node.value:
                if not isinstance(knode, yaml.ScalarNode):
                    self.diag.error(_mark_pos(knode.start_mark), "mapping keys must be plain names")
                    continue
                key = knode.value
                kpos = _mark_pos(knode.start_mark)
                if key in out.index:
                    first = out.index[key][0].pos
                    self.diag.error(kpos, "duplicate key '%s' (first defined at line %d)" % (key, first.line))
                    continue
                k = Scalar(kpos, key, "str")
                v = self.convert(vnode, depth + 1)
                out.items.append((key, k, v))
                out.index[key] = (k, v)
            return out
        if isinstance(node, yaml.SequenceNode):
            out = Seq(pos)
            for item in node.value:
                out.items.append(self.convert(item, depth + 1))
            return out
        return self.scalar(node, pos)

    def scalar(self, node, pos):
        tag = node.tag
        try:
            if tag == _INT:
                value, kind = self.constructor.construct_yaml_int(node), "int"
            elif tag == _FLOAT:
                value, kind = node.value, "float"
            elif tag == _BOOL:
                value, kind = self.constructor.construct_yaml_bool(node), "bool"
            elif tag == _NULL:
                value, kind = None, "null"
            elif tag == _STR:
                value, kind = node.value, "str"
            else:
                self.diag.error(pos, "unsupported YAML tag '%s'" % tag)
                value, kind = node.value, "str"
        except (ValueError, yaml.YAMLError):
            value, kind = node.value, "str"
        s = Scalar(pos, value, kind)
        s.style = node.style
        # The expression source as written, so token positions map back to the file.
        start, end = node.start_mark.index, node.end_mark.index
        raw = self.src.text[start:end]
        style = node.style
        if style in ("'", '"'):
            raw, start = raw[1:-1], start + 1
        elif style in ("|", ">"):
            nl = raw.find("\n")
            raw, start = raw[nl + 1:], start + nl + 1
        if "".join(raw.split()) == "".join(str(node.value).split()):
            s.src_text, s.src_start = raw, start
        else:  # escapes changed the text: positions within it are approximate
            s.src_text, s.src_start = str(node.value), None
        return s
