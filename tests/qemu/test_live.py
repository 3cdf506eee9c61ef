"""Issue 5: machine shapes, pacing, live commands (COM1 and PS/2), CPU exceptions after ExitBootServices."""
import os
import re
import subprocess
import tempfile
import time

import pytest

from anima_qemu import Session, boot, paced_run, qmp, rows

RUN = ["--seed", "7", "--ticks", "3600", "--every", "60"]


@pytest.fixture(scope="module")
def host_rows(sim):
    out = subprocess.run([sim] + RUN + ["--trace", "-"], stdout=subprocess.PIPE, check=True, timeout=60).stdout
    return rows(out)


@pytest.mark.parametrize("shape", [
    ["--machine", "pc", "--cpu", "qemu64"],
    ["--machine", "q35", "--memory", "128"],
    ["--machine", "q35", "--smp", "4", "--memory", "2G"],
    ["--machine", "q35", "--cpu", "max"],
], ids=["pc-qemu64", "q35-128M", "q35-smp4-2G", "cpu-max"])
def test_machine_shapes(efi, host_rows, shape):
    b = boot("--efi", efi, "--cfg", " ".join(RUN + ["--speed", "max"]), *shape, timeout=90)
    assert b.rc == 0, "no power off (status %d):\n%s" % (b.rc, b.summary())
    assert re.search(r"^# anima: clock=(tsc|pmtimer|hpet) hz=[1-9]", b.text(), re.M), b.summary()
    com1 = b.after_ebs()
    assert rows(com1) == host_rows
    assert com1.rstrip(b"\n").split(b"\n")[-1] == b"# anima: end tick=3600 reason=ticks"


def test_no_serial_port_still_ends(efi):
    # Nothing to write to: the UART is not detected, the run goes on silently and powers off.
    b = boot("--efi", efi, "--cfg", " ".join(RUN + ["--speed", "max"]), "--no-serial", timeout=60)
    assert b.rc == 0, "status %d" % b.rc
    assert b"boot services exited" not in b.out


def test_default_seed_from_rdrand(efi):
    # -cpu max has RDSEED/RDRAND: the seed is drawn (1 has odds of 2^-64). qemu64 has neither: the fixed 1.
    b = boot("--efi", efi, "--cfg", "--ticks 60 --speed max", "--cpu", "max", timeout=60)
    seed = re.search(r"^# anima: seed=(\d+)$", b.text(), re.M)
    assert seed and seed.group(1) != "1", b.summary()
    b = boot("--efi", efi, "--cfg", "--ticks 60 --speed max", "--cpu", "qemu64", timeout=60)
    assert "# anima: seed=1" in b.lines()


def test_speed_paces_the_run(efi):
    # 3000 ticks at 1000 ticks/s: 3 s of wall time between the first row and the end (QEMU's own wall clock).
    _, seconds = paced_run(efi, 3000, 1000)
    assert 2.5 < seconds < 4.5, "3000 ticks at --speed 1000 took %.2fs" % seconds


def test_com1_commands(efi):
    s = Session("--efi", efi, "--cfg", "--seed 3 --every 10 --speed 200", timeout=90)
    try:
        s.expect(rb"# anima: boot services exited\n")
        s.expect(rb"\n20,")
        s.send(b"meal 500\r")
        s.expect(rb"# [^\n]*meal[^\n]*500")
        s.send(b"bogus\r")
        s.expect(rb"# anima: command 'bogus': unknown")
        s.send(b"meal 5000\r")
        s.expect(rb"# anima: command 'meal 5000': [^\n]+\n")
        s.send(b"pause\r")
        m, _ = s.expect(rb"# anima: paused tick=(\d+)\n")
        paused_at = len(s.out)
        time.sleep(1.0)
        s._read(time.monotonic() + 0.3)
        assert not rows(s.out[paused_at:]), "rows while paused"
        s.send(b"resume\r")
        s.expect(rb"# anima: resumed tick=" + m.group(1) + rb"\n")
        s.send(b"speed max\r")
        s.expect(rb"# anima: speed=max tick=\d+\n")
        s.send(b"quit\r")
        s.expect(rb"# anima: end tick=\d+ reason=command\n")
        assert s.wait() == 0
    finally:
        s.close()


def keys(*names):
    return {"execute": "send-key", "arguments": {"keys": [{"type": "qcode", "data": k} for k in names]}}


def test_ps2_keyboard_commands(efi):
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "qmp")
        s = Session("--efi", efi, "--cfg", "--seed 3 --every 10 --speed 200", "--qmp", sock, timeout=90)
        try:
            s.expect(rb"# anima: boot services exited\n")
            s.expect(rb"\n20,")
            qmp(sock, [keys("m"), keys("e"), keys("a"), keys("l"), keys("spc"), keys("3"), keys("0"), keys("0"),
                       keys("ret"), keys("kp_add")])
            s.expect(rb"# [^\n]*meal[^\n]*300")
            s.expect(rb"# anima: speed=400 tick=\d+\n")
            qmp(sock, [keys("esc")])
            s.expect(rb"# anima: end tick=\d+ reason=command\n")
            assert s.wait() == 0
        finally:
            s.close()


@pytest.mark.parametrize("fault,vector", [("divide", 0), ("pagefault", 14), ("invalid-opcode", 6)])
def test_fault_is_reported(efi, fault, vector):
    b = boot("--efi", efi, "--cfg", "--seed 7 --every 1 --speed max --fault " + fault,
             "--until", r"# anima: halted\n", timeout=60)
    com1 = b.after_ebs().decode()
    m = re.search(r"^# anima: panic vector=(\d+) error=0x([0-9a-f]+) rip=0x([0-9a-f]+) tick=(\d+)$", com1, re.M)
    assert m, com1[-2000:]
    assert int(m.group(1)) == vector and int(m.group(4)) == 1
    assert int(m.group(3), 16) != 0
    assert "# anima: end" not in com1
    assert rows(b.after_ebs())[-1].startswith(b"1,")  # the row of tick 1, then the panic


def test_bad_fault_name_is_refused(efi):
    b = boot("--efi", efi, "--cfg", "--fault overflow", "--until", r"anima: [^\n]*\n", timeout=60)
    errors = [l for l in b.lines() if l.startswith("anima:")]
    assert len(errors) == 1 and "--fault" in errors[0] and "overflow" in errors[0], errors


def test_persist_across_reboots(efi, sim, tmp_path):
    # Boot A is cut off (like a power cut) after tick 4200: what survives is its boot-time record of tick 0,
    # which is not marked as the end of a run, so boot B says it is stale, resumes it and runs to 3600, where
    # its end save is what boot C starts from. (Saves between are at most one per 10 minutes of wall time.)
    vars_fd = str(tmp_path / "vars.fd")
    every = ["--every", "600"]
    s = Session("--efi", efi, "--cfg", "--seed 7 --persist --ticks 7200 --speed 600 " + " ".join(every),
                "--vars=" + vars_fd, timeout=60)
    try:
        s.expect(rb"\n4200,")
    finally:
        s.close()
    whole = rows(subprocess.run([sim, "--seed", "7", "--ticks", "4200", "--trace", "-"] + every,
                                stdout=subprocess.PIPE, check=True, timeout=60).stdout)
    b = boot("--efi", efi, "--cfg", "--persist --ticks 3600 --speed max " + " ".join(every), "--vars=" + vars_fd,
             timeout=60)
    assert b.rc == 0, b.summary()
    assert "# anima: seed=7" in b.lines()
    assert re.search(r"^# anima: persist: stale: tick=0 ", b.text(), re.M), b.summary()
    assert "# anima: resumed tick=0" in b.lines()
    # A state at tick 0 runs as a fresh one does (the engine cannot tell them apart): row 0 comes again.
    assert rows(b.after_ebs())[1:] == [r for r in whole[1:] if int(r.split(b",")[0]) <= 3600]
    b = boot("--efi", efi, "--cfg", "--persist --ticks 600 --speed max " + " ".join(every), "--vars=" + vars_fd,
             timeout=60)
    assert "# anima: resumed tick=3600" in b.lines() and "stale" not in b.text(), b.summary()
    assert rows(b.after_ebs())[1:] == [whole[-1]]
    assert b"# anima: end tick=4200 reason=ticks" in b.after_ebs()
