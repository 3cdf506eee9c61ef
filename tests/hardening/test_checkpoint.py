"""Finding 1 (a checkpoint with a correct checksum and a state value outside its declared range crashed
anima-sim) and the checkpoint parts of finding 8 (a directory was "too short"; another, larger catalogue's
checkpoint was "damaged (too long)"). The UEFI app and the AnimaOrganism variable: tests/qemu/test_hardening.py."""

import os
import struct
import subprocess

import pytest

import ckp

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


@pytest.fixture(scope="module")
def layout(sim):
    return ckp.Layout(os.environ.get("ANIMA_BUILD", os.path.dirname(sim)))


@pytest.fixture(scope="module")
def saved(sim, tmp_path_factory):
    path = tmp_path_factory.mktemp("ckp") / "t100.ckp"
    subprocess.run([sim, "--ticks", "100", "--save", str(path), "--trace", os.devnull], check=True)
    return path.read_bytes()


def resume(sim, data, tmp_path, *extra):
    path = tmp_path / "forged.ckp"
    path.write_bytes(data)
    trace = tmp_path / "trace.csv"
    r = subprocess.run([sim, "--resume", str(path), "--trace", str(trace)] + [str(x) for x in extra],
                       capture_output=True, text=True, timeout=120)
    return r, trace


def refused(r, trace, path_prefix="anima-sim: --resume "):
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(path_prefix), r.stderr
    assert not trace.exists()
    return r.stderr


def outside(lo, hi):
    return hi + 1 if hi < INT32_MAX else lo - 1


def test_every_state_value_outside_its_range_is_refused(sim, layout, saved, tmp_path):
    for col, (lo, hi) in enumerate(layout.var_range):
        for value in {outside(lo, hi), INT32_MIN if lo > INT32_MIN else INT32_MAX}:
            c = ckp.Checkpoint(saved, layout)
            c.set_var(col, value)
            r, trace = resume(sim, c.sealed(), tmp_path, "--ticks", 3000)
            err = refused(r, trace)
            assert err.endswith(": checkpoint is damaged (%s = %d is outside its declared range %d..%d)\n"
                                % (layout.names[col], value, lo, hi)), err


def test_every_parameter_outside_its_range_is_refused(sim, layout, saved, tmp_path):
    for k, (lo, hi) in enumerate(layout.param_range):
        c = ckp.Checkpoint(saved, layout)
        c.set_param(k, outside(lo, hi))
        r, trace = resume(sim, c.sealed(), tmp_path)
        assert "checkpoint is damaged (parameter " in refused(r, trace)


def test_tick_beyond_the_day_counter_is_refused(sim, layout, saved, tmp_path):
    c = ckp.Checkpoint(saved, layout)
    at = bytes(c.data).find(struct.pack("<Q", 100), 8, c.state_at)
    assert at > 0
    for tick in ((1 << 64) - 1, (1 << 20) * 86400):
        c.set_u64(at, tick)
        r, trace = resume(sim, c.sealed(), tmp_path, "--ticks", 10)
        assert "tick beyond the last day" in refused(r, trace)
    c.set_u64(at, (1 << 20) * 86400 - 10)  # the last day the engine counts: fine
    r, trace = resume(sim, c.sealed(), tmp_path, "--ticks", 5, "--every", 1)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("end", [0, 1], ids=["all-lowest", "all-highest"])
def test_values_at_the_ends_of_their_ranges_run(sim, layout, saved, tmp_path, end):
    """Within range is what the validator promises is safe: every variable at its bound runs two days."""
    c = ckp.Checkpoint(saved, layout)
    for col, r in enumerate(layout.var_range):
        c.set_var(col, r[end])
    r, trace = resume(sim, c.sealed(), tmp_path, "--ticks", 172800, "--every", 3600)
    assert r.returncode == 0, r.stderr
    assert "# anima: end tick=" in trace.read_text()


def test_a_directory_is_not_too_short(sim, tmp_path):
    r = subprocess.run([sim, "--resume", str(tmp_path), "--trace", str(tmp_path / "t.csv")],
                       capture_output=True, text=True)
    assert (r.returncode, r.stderr) == (1, "anima-sim: --resume %s: Is a directory\n" % tmp_path)


def test_a_larger_catalogues_checkpoint_is_another_catalogue(sim, layout, saved, tmp_path):
    """A checkpoint of a catalogue with more variables (hash and word count of its own, longer than this
    build's checkpoints) is named for what it is, not "damaged (too long)"."""
    data = bytearray(saved)
    words = layout.nvars + layout.nparams + layout.delay_words
    at = bytes(data).find(struct.pack("<I", words), 8, 40)
    assert at > 0
    struct.pack_into("<I", data, at, words + 5000)
    hash_at = at + 4
    struct.pack_into("<Q", data, hash_at, struct.unpack_from("<Q", data, hash_at)[0] ^ 0x5A5A)
    data[-8:-8] = bytes(4 * 5000)
    c = ckp.Checkpoint(bytes(data), layout)
    r, trace = resume(sim, c.sealed(), tmp_path)
    assert refused(r, trace).endswith(": checkpoint was taken with another catalogue\n")
    # the same catalogue's checkpoint with bytes appended is damaged, whatever their number
    for extra in (1, 100000):
        r, trace = resume(sim, saved + bytes(extra), tmp_path)
        assert refused(r, trace).endswith(": checkpoint is damaged (wrong length)\n")
