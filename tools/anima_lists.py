"""anima_lists: the one reading of a list of whole numbers as the tools take it ('1-10', '1,4,7', '1-3,10'),
used by tools/validate, tools/lifespans, tools/anima-sweep and the organism tests' ANIMA_SEEDS."""
import re


def parse_list(text, what):
    """'1-100', '1,5,9', '1-3,10' -> a list of whole numbers, in order, without repeats; ValueError with a
    one-line message naming `what` otherwise."""
    out = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)(?:-(\d+))?\s*", part)
        if not m:
            raise ValueError("%s: expected A-B or a list of whole numbers, got '%s'" % (what, text))
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if lo > hi:
            raise ValueError("%s: range %s goes down" % (what, part.strip()))
        out.extend(range(lo, hi + 1))
    seen = set()
    return [v for v in out if not (v in seen or seen.add(v))]
