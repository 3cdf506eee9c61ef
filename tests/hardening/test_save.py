"""Finding 4: --save FILE replaced a symlink or device with a regular file, overwrote and deleted the user's
FILE.tmp, and a run whose --save could not be written ran to its end and overwrote the --trace file first."""

import os
import stat
import subprocess

import pytest


def run(sim, *args):
    return subprocess.run([sim, "--ticks", "120"] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=60)


def test_symlink_is_not_replaced(sim, tmp_path):
    target = tmp_path / "real.ckp"
    target.write_bytes(b"keep")
    link = tmp_path / "link.ckp"
    link.symlink_to(target)
    r = run(sim, "--save", link, "--trace", tmp_path / "t.csv")
    assert (r.returncode, r.stderr) == (
        1, "anima-sim: --save %s: cannot write checkpoint: is a symbolic link (not replaced)\n" % link)
    assert link.is_symlink() and target.read_bytes() == b"keep"
    assert not (tmp_path / "t.csv").exists()


def test_special_file_is_not_replaced(sim, tmp_path):
    """A named pipe stands for any special file (a device): never /dev/null itself here, which the old code
    replaced with a regular file for the whole machine."""
    fifo = tmp_path / "pipe"
    os.mkfifo(str(fifo))
    r = run(sim, "--save", fifo, "--trace", tmp_path / "t.csv")
    assert (r.returncode, r.stderr) == (
        1, "anima-sim: --save %s: cannot write checkpoint: is not a regular file (not replaced)\n" % fifo)
    assert stat.S_ISFIFO(os.lstat(str(fifo)).st_mode)


def test_users_tmp_file_is_untouched_and_nothing_is_left_behind(sim, tmp_path):
    ck = tmp_path / "ck"
    mine = tmp_path / "ck.tmp"
    mine.write_bytes(b"the user's own file")
    r = run(sim, "--save", ck, "--trace", os.devnull)
    assert r.returncode == 0, r.stderr
    assert mine.read_bytes() == b"the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck", "ck.tmp"]
    assert ck.read_bytes()[:8] == b"ANIMACKP"
    assert oct(ck.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    # a failing run (bad --resume) leaves neither a temporary file nor a changed checkpoint
    before = ck.read_bytes()
    bad = tmp_path / "bad.ckp"
    bad.write_bytes(b"junk")
    r = run(sim, "--resume", bad, "--save", ck, "--trace", os.devnull)
    assert r.returncode == 1
    assert ck.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.ckp", "ck", "ck.tmp"]


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m


@pytest.mark.parametrize("where", ["missing-dir", "read-only-dir", "directory"])
def test_unwritable_save_fails_before_the_trace_is_touched(sim, tmp_path, where):
    trace = tmp_path / "t.csv"
    trace.write_text("the previous run's trace\n")
    if where == "missing-dir":
        save = tmp_path / "nope" / "ck"
    elif where == "directory":
        save = tmp_path / "adir"
        save.mkdir()
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        if os.access(str(ro), os.W_OK):
            pytest.skip("running as a user that writes into read-only directories (root)")
        save = ro / "ck"
    r = run(sim, "--save", save, "--trace", trace)
    assert r.returncode == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("anima-sim: --save %s: cannot write checkpoint: " % save)
    assert trace.read_text() == "the previous run's trace\n"
