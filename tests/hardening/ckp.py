"""Reading and forging anima-sim checkpoints for the tests (docs/options.md describes the format): a forged
checkpoint gets a correct FNV-1a checksum, so it reaches the validator as an attacker's would."""

import os
import re
import struct

TRAILER = 8  # the FNV-1a checksum


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


class Layout:
    """What the build's generated tables say (ANIMA_BUILD/gen/anima_gen_meta.c): per trace column its layout
    slot and declared range, per parameter its range."""

    def __init__(self, build):
        meta = open(os.path.join(build, "gen", "anima_gen_meta.c")).read()
        header = open(os.path.join(build, "gen", "anima_gen.h")).read()
        self.nvars = int(re.search(r"#define ANIMA_NVARS (\d+)", header).group(1))
        self.nparams = int(re.search(r"#define ANIMA_NPARAMS (\d+)", header).group(1))
        self.delay_words = int(re.search(r"#define ANIMA_DELAY_WORDS (\d+)", header).group(1))
        self.slots = [int(x) for x in re.findall(r"-?\d+", _table(meta, "anima_trace_slots"))]
        vr = [int(x) for x in re.findall(r"-?\d+", _table(meta, "anima_var_range"))]
        self.var_range = list(zip(vr[0::2], vr[1::2]))
        pr = [int(x) for x in re.findall(r"-?\d+", _table(meta, "anima_param_range"))] if self.nparams else []
        self.param_range = list(zip(pr[0::2], pr[1::2]))
        self.names = re.search(r'anima_trace_header\[\] = "tick,([^"]*)"', meta).group(1).split(",")
        assert len(self.slots) == len(self.var_range) == len(self.names) == self.nvars


def _table(src, name):
    m = re.search(r"\b%s\[[^=]*=\s*\{(.*?)\n\};" % name, src, re.S)
    return re.sub(r"/\*.*?\*/", "", m.group(1), flags=re.S)


class Checkpoint:
    """A checkpoint's words: state (layout order), parameters, delay words, after a header of its own."""

    def __init__(self, data, layout):
        self.data = bytearray(data)
        self.layout = layout
        words = layout.nvars + layout.nparams + layout.delay_words
        self.state_at = len(self.data) - TRAILER - 4 * words
        self.param_at = self.state_at + 4 * layout.nvars
        self.delay_at = self.param_at + 4 * layout.nparams

    def set_var(self, column, value):
        struct.pack_into("<i", self.data, self.state_at + 4 * self.layout.slots[column], value)

    def set_param(self, k, value):
        struct.pack_into("<i", self.data, self.param_at + 4 * k, value)

    def set_u64(self, offset, value):
        struct.pack_into("<Q", self.data, offset, value)

    def sealed(self):
        """The bytes with a correct checksum."""
        out = bytearray(self.data)
        struct.pack_into("<Q", out, len(out) - TRAILER, fnv1a(out[:-TRAILER]))
        return bytes(out)
