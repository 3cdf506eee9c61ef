"""Reads a catalogue file into a small tree of nodes that remember where they stand in the file.

PyYAML alone is not enough: it accepts duplicate keys silently, expands aliases without limit and reports
tabs and encoding errors in its own words. Here each of those is one `FILE:LINE:COLUMN: error:` line.
"""
import itertools
import re
from sys import intern

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
    """A node's position is kept as one integer (line << 32 | column): a large catalogue has millions of nodes,
    and a Pos object each was a tenth of the generator's memory."""
    __slots__ = ("_at",)

    @property
    def pos(self):
        return Pos(self._at >> 32, self._at & 0xFFFFFFFF)

    @pos.setter
    def pos(self, p):
        self._at = p.line << 32 | p.col


class Map(Node):
    __slots__ = ("items", "index")

    def __init__(self, pos):
        self.pos = pos
        self.items = []  # [(key str, key node, value node)]
        self.index = {}  # key str -> the same (key str, key node, value node)

    def get(self, key):
        hit = self.index.get(key)
        return hit[2] if hit else None

    def keypos(self, key):
        hit = self.index.get(key)
        return hit[1].pos if hit else self.pos


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
        self.line_starts = None  # computed when first needed: a valid catalogue never needs it

    def pos_of(self, index):
        import bisect
        if self.line_starts is None:
            self.line_starts = list(itertools.accumulate((len(line) + 1 for line in self.text.split("\n")[:-1]),
                                                         initial=0))
        line = bisect.bisect_right(self.line_starts, index) - 1
        return Pos(line + 1, index - self.line_starts[line] + 1)


_TAB_INDENT = re.compile(r"^ *\t", re.M)


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
    # (one search over the text first: a catalogue of a million lines has none)
    for n, line in enumerate(text.split("\n") if _TAB_INDENT.search(text) else ()):
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
    tree = _fast_tree(src, loader)
    if tree is not None:
        return src, tree
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
                    first = out.index[key][1].pos
                    self.diag.error(kpos, "duplicate key '%s' (first defined at line %d)" % (key, first.line))
                    continue
                k = Scalar(kpos, key, "str")
                v = self.convert(vnode, depth + 1)
                item = (key, k, v)
                out.items.append(item)
                out.index[key] = item
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
        except (ValueError, KeyError, IndexError, yaml.YAMLError):  # `!!bool maybe`, `!!int ''`: text, and the model says where
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


class _Unusual(Exception):
    """Something _fast_tree leaves to the full path: anchors, aliases, deep nesting, errors of any kind."""


def _fast_tree(src, loader):
    """The tree of a catalogue in one pass over the parser's events, or None when the file is anything but a
    plain catalogue (anchors or aliases, nesting deeper than the converter allows, several documents, a key
    that is not a scalar, a duplicate key, an unusual tag, a YAML error): then load() takes the full path, which
    checks depth, counts aliases and composes, and reports exactly what it always has. The full path builds
    PyYAML's node graph (with two marks per node) beside this tree and walks it three times: at 33,000
    subsystems that was most of the generator's time and a gigabyte of memory."""
    try:
        return _events_to_tree(src, loader)
    except (_Unusual, yaml.YAMLError):
        return None


def _events_to_tree(src, loader):
    # The loop runs once per YAML event (3.5 million at 33,000 subsystems): names are local, the top of the stack
    # is kept in variables, and a plain scalar's text is compared in place rather than sliced out.
    text = src.text
    parser = loader(text)
    get = parser.get_event
    constructor = yaml.SafeLoader("")
    resolve = constructor.resolve
    tags = {}  # (value, implicit) -> tag: the resolver is a function of these alone
    ints = {}
    ScalarEvent, MappingStartEvent, SequenceStartEvent = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
    MappingEndEvent, SequenceEndEvent = yaml.MappingEndEvent, yaml.SequenceEndEvent
    ScalarNode = yaml.ScalarNode
    new_scalar, new_map, new_seq = Scalar.__new__, Map.__new__, Seq.__new__
    if type(get()) is not yaml.StreamStartEvent or type(get()) is not yaml.DocumentStartEvent:
        raise _Unusual()
    stack = []  # the open collections above the top one: [(Map or Seq, pending key (str, Scalar) or None)]
    top = None  # the innermost open collection
    top_is_map = False
    key = None  # (str, Scalar): the top Map's key waiting for its value
    root = None
    limit_depth = 64  # _Converter's
    while True:
        ev = get()
        t = type(ev)
        if t is ScalarEvent:
            if ev.anchor is not None:
                raise _Unusual()
            mark = ev.start_mark
            at = (mark.line + 1) << 32 | (mark.column + 1)
            text_value = ev.value
            value = intern(text_value)
            if top_is_map and key is None:
                # a key
                if len(stack) >= limit_depth:
                    raise _Unusual()
                knode = new_scalar(Scalar)
                knode._at, knode.value, knode.kind = at, value, "str"
                key = (value, knode)
                continue
            if len(stack) >= limit_depth:
                raise _Unusual()
            tag = ev.tag
            if tag is None or tag == "!":
                tkey = (value, ev.implicit)
                tag = tags.get(tkey)
                if tag is None:
                    tag = tags[tkey] = resolve(ScalarNode, value, ev.implicit)
            if tag == _STR:
                kind = "str"
            elif tag == _INT:
                hit = ints.get(value)
                if hit is None:
                    try:
                        hit = ints[value] = (constructor.construct_yaml_int(ScalarNode(tag, value)), "int")
                    except (ValueError, IndexError, yaml.YAMLError):  # IndexError: `!!int ''`
                        hit = ints[value] = (value, "str")
                value, kind = hit
            elif tag == _FLOAT:
                kind = "float"
            elif tag == _BOOL:
                try:
                    value, kind = constructor.construct_yaml_bool(ScalarNode(tag, value)), "bool"
                except (ValueError, yaml.YAMLError, KeyError):
                    kind = "str"
            elif tag == _NULL:
                value, kind = None, "null"
            else:
                raise _Unusual()  # an unsupported tag: the full path says so
            node = new_scalar(Scalar)
            node._at, node.value, node.kind = at, value, kind
            style = ev.style
            node.style = style
            start, end = mark.index, ev.end_mark.index
            if not style and end - start == len(text_value) and text.startswith(text_value, start):
                # plain, and the text is the value: the (interned) value is the source
                node.src_text, node.src_start = intern(text_value), start
            else:
                raw = text[start:end]
                if style in ("'", '"'):
                    raw, start = raw[1:-1], start + 1
                elif style in ("|", ">"):
                    nl = raw.find("\n")
                    raw, start = raw[nl + 1:], start + nl + 1
                if raw == text_value:
                    node.src_text, node.src_start = intern(text_value), start
                elif "".join(raw.split()) == "".join(text_value.split()):
                    node.src_text, node.src_start = raw, start
                else:
                    node.src_text, node.src_start = text_value, None
        elif t is MappingStartEvent or t is SequenceStartEvent:
            if ev.anchor is not None:
                raise _Unusual()
            if top_is_map and key is None:
                raise _Unusual()  # a key that is not a scalar
            if len(stack) >= limit_depth:
                raise _Unusual()
            mark = ev.start_mark
            if t is MappingStartEvent:
                coll = new_map(Map)
                coll.index = {}
            else:
                coll = new_seq(Seq)
            coll._at = (mark.line + 1) << 32 | (mark.column + 1)
            coll.items = []
            if top is not None:
                stack.append((top, key))
            top, top_is_map, key = coll, t is MappingStartEvent, None
            continue
        elif t is MappingEndEvent or t is SequenceEndEvent:
            node = top
            if not stack:
                root = node
                break
            top, key = stack.pop()
            top_is_map = type(top) is Map
        else:  # an alias, the end of the document, anything else
            raise _Unusual()
        # node is complete: attach it to the top collection
        if top is None:
            root = node
            break
        if top_is_map:
            k = key[0]
            index = top.index
            if k in index:
                raise _Unusual()  # a duplicate key: the full path reports it
            item = (k, key[1], node)
            top.items.append(item)
            index[k] = item
            key = None
        else:
            top.items.append(node)
    if type(get()) is not yaml.DocumentEndEvent or type(get()) is not yaml.StreamEndEvent:
        raise _Unusual()  # another document: the full path reports it
    return root
