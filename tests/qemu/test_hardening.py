"""Issue 14 on the UEFI side: a forged checkpoint (file or AnimaOrganism variable) is refused before the first
tick; a Shell line with a non-ASCII character is refused with one line; a hundred live stimuli sent at once
are all applied and logged; a Tab separates a live command's words."""
import os
import re
import subprocess
import sys

from anima_qemu import Session, boot

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hardening"))
import ckp  # noqa: E402


def layout(sim):
    return ckp.Layout(os.environ.get("ANIMA_BUILD", os.path.dirname(sim)))


def forged(sim, tmp_path):
    """A checkpoint of tick 600 with its first trace column one past its range, and a correct checksum."""
    ck = tmp_path / "ck.bin"
    subprocess.run([sim, "--seed", "7", "--ticks", "600", "--save", str(ck), "--trace", os.devnull], check=True)
    lay = layout(sim)
    c = ckp.Checkpoint(ck.read_bytes(), lay)
    lo, hi = lay.var_range[0]
    c.set_var(0, hi + 1)
    return c.sealed(), "checkpoint is damaged (%s = %d is outside its declared range %d..%d)" % (
        lay.names[0], hi + 1, lo, hi)


def errors(b):
    return [l for l in b.lines() if l.startswith("anima:")]


def test_forged_checkpoint_file_is_refused(efi, sim, tmp_path):
    data, why = forged(sim, tmp_path)
    bad = tmp_path / "bad.bin"
    bad.write_bytes(data)
    b = boot("--efi", efi, "--cfg", "--resume bad.bin --ticks 600 --speed max", "--file", "bad.bin=%s" % bad,
             "--until", r"anima: [^\n]*\n", timeout=60)
    assert errors(b) == ["anima: --resume bad.bin: " + why], b.summary()
    assert "boot services exited" not in b.text()


def test_forged_persist_variable_is_refused(efi, sim, tmp_path):
    vars_fd = tmp_path / "vars.fd"
    b = boot("--efi", efi, "--cfg", "--seed 7 --persist --ticks 600 --speed max", "--vars=%s" % vars_fd,
             timeout=60)
    assert b.rc == 0, b.summary()
    store = bytearray(vars_fd.read_bytes())
    at = store.rfind(b"ANIMACKP")  # the variable's latest copy (the store appends, then marks old ones)
    assert at > 0
    good = subprocess.run([sim, "--seed", "7", "--ticks", "600", "--save", str(tmp_path / "ref.bin"),
                           "--trace", os.devnull], check=True)
    n = len((tmp_path / "ref.bin").read_bytes())
    assert store[at:at + n] == (tmp_path / "ref.bin").read_bytes()
    data, why = forged(sim, tmp_path)
    store[at:at + n] = data
    vars_fd.write_bytes(bytes(store))
    b = boot("--efi", efi, "--cfg", "--persist --ticks 600 --speed max", "--vars=%s" % vars_fd,
             "--until", r"anima: [^\n]*\n", timeout=60)
    errs = errors(b)
    assert len(errs) == 1 and errs[0].startswith("anima: --persist: variable AnimaOrganism: " + why), b.summary()
    assert "boot services exited" not in b.text()


def test_non_ascii_on_the_shell_line_is_refused(efi):
    b = boot("--efi", efi, "--shell", "anima.efi --seed 7 \u2014ticks 5",
             "--until", r"anima: [^\n]*\n(.|\n)*FS0:\\> ", timeout=60)
    assert b.rc == 0, b.summary()
    assert errors(b) == ["anima: command line: character U+2014 at column 20 is not ASCII "
                         "(options are plain ASCII text)"], b.summary()
    assert "boot services exited" not in b.text()


def test_a_hundred_live_stimuli_at_once_are_all_logged(efi, sim):
    s = Session("--efi", efi, "--cfg", "--seed 3 --every 600 --speed 100", timeout=120)
    try:
        s.expect(rb"# anima: boot services exited\n")
        s.expect(rb"\n0,")
        s.send(b"".join(b"meal %d\r" % (k + 1) for k in range(100)) + b"stress\t7\r")
        s.expect(rb"# anima: stimulus [0-9]+:stress=7\n", timeout=60)
        s.send(b"quit\r")
        s.wait(timeout=60)
    finally:
        s.close()
    text = s.out.decode("latin-1")
    meals = [int(v) for v in re.findall(r"^# anima: stimulus [0-9]+:meal=([0-9]+)$", text, re.M)]
    assert sorted(meals) == list(range(1, 101)), (len(meals), text[-3000:])
    assert meals == list(range(1, 101))  # in the order sent
    assert "dropped" not in text and "refused" not in text
