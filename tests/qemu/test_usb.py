"""Issue 11: a modern PC (no PS/2, an xHCI controller, the image on a USB stick): a USB keyboard after
ExitBootServices, and the trace written to a file on that stick (--trace-file, default anima-trace.csv)."""
import re
import subprocess
import time

import pytest

from anima_qemu import EXITED, MKIMAGE, Session, boot, esp_file, esp_free, make_image, qmp, rows, usb_keys

MODERN = ["--modern-pc"]
GAP = 0.05  # seconds between key events (10 keys a second): QEMU's USB keyboard queues only 16 events
TRACE = "anima-trace.csv"


def sim_rows(sim, *args):
    out = subprocess.run([sim, "--trace", "-"] + list(args), stdout=subprocess.PIPE, check=True, timeout=60).stdout
    return rows(out)


def wait_for_file(img, pattern, timeout=60, name=TRACE):
    """Polls the stick's file while QEMU runs (its writes reach the image file at once)."""
    end = time.monotonic() + timeout
    data = None
    while time.monotonic() < end:
        data = esp_file(img, name)
        if data and re.search(pattern, data):
            return data
        time.sleep(0.5)
    raise AssertionError("no %r in %s within %ss: %r" % (pattern, name, timeout, (data or b"")[-300:]))


def test_usb_keyboard_commands_and_the_file_is_com1(efi, tmp_path):
    # COM1 to watch, but no PS/2: the commands can only have come from the USB keyboard. The file on the stick
    # then holds exactly what COM1 carried from `boot services exited` on.
    img = make_image(str(tmp_path / "a.img"), efi, "--seed 3 --every 10 --speed 200")
    sock = str(tmp_path / "qmp")
    s = Session("--image", img, "--qmp", sock, *MODERN, timeout=90)
    try:
        m, _ = s.expect(rb"# anima: usb: [^\n]*\n")
        assert b"xhci=1 devices=2 hubs=0 keyboards=1 storage=1" in m.group(0), m.group(0)
        s.expect(rb"\n20,")
        qmp(sock, usb_keys("meak\bl\t300\n"), gap=GAP)  # Backspace; Tab as a space
        s.expect(rb"# anima: stimulus \d+:meal=300\n")
        qmp(sock, usb_keys("+"), gap=GAP)
        s.expect(rb"# anima: speed=400 tick=\d+\n")
        qmp(sock, usb_keys("Bogus\n"), gap=GAP)  # Shift: the command is lower-cased as on COM1
        s.expect(rb"# anima: command 'bogus': unknown")
        qmp(sock, usb_keys("\x1b"), gap=GAP, may_end=True)
        s.expect(rb"# anima: end tick=\d+ reason=command\n")
        assert s.wait() == 0
    finally:
        s.close()
    com1 = s.boot().after_ebs()
    assert esp_file(img, TRACE) == EXITED + com1


@pytest.mark.parametrize("shape,found,cfg", [
    ("--usb-hub", b"xhci=1 devices=4 hubs=1 keyboards=1 storage=1", ""),  # and a tablet beside it
    ("--second-xhci", b"xhci=2 devices=2 hubs=0 keyboards=1 storage=1", " --trace-file none"),
], ids=["behind-a-hub", "on-a-second-controller"])
def test_keyboard_elsewhere(efi, tmp_path, shape, found, cfg):
    img = make_image(str(tmp_path / "k.img"), efi, "--seed 3 --every 10 --speed 200" + cfg)
    sock = str(tmp_path / "qmp")
    extra = ["--", "-device", "usb-tablet,bus=xhci.0,port=2.2"] if shape == "--usb-hub" else []
    s = Session("--image", img, "--qmp", sock, *MODERN, shape, *extra, timeout=90)
    try:
        m, _ = s.expect(rb"# anima: usb: [^\n]*\n")
        assert found + b"\n" in m.group(0), m.group(0)
        s.expect(rb"\n20,")
        qmp(sock, usb_keys("pause\n"), gap=GAP)
        m, _ = s.expect(rb"# anima: paused tick=(\d+)\n")
        qmp(sock, usb_keys("resume\n"), gap=GAP)
        s.expect(rb"# anima: resumed tick=" + m.group(1) + rb"\n")
        qmp(sock, usb_keys("\x1b"), gap=GAP, may_end=True)
        s.expect(rb"# anima: end tick=\d+ reason=command\n")
        assert s.wait() == 0
    finally:
        s.close()
    # --trace-file none: no file, and no line about one
    assert (esp_file(img, TRACE) is None) == bool(cfg) and (b"trace file" in s.boot().out) is False


def test_no_com1_the_file_is_the_trace(efi, sim, tmp_path):
    # No COM1 and no PS/2: a command typed on the USB keyboard is logged in the file, and the file's rows are
    # anima-sim's for the same options with that command replayed as --stimulus.
    run = ["--seed", "5", "--ticks", "30000", "--every", "60"]
    img = make_image(str(tmp_path / "b.img"), efi, " ".join(run + ["--speed", "2000"]))
    sock = str(tmp_path / "qmp")
    s = Session("--image", img, "--qmp", sock, *MODERN, "--no-serial", timeout=120)
    try:
        wait_for_file(img, rb"# anima: usb: [^\n]*storage=1")  # the first flush, right after enumeration
        qmp(sock, usb_keys("meal 300\n"), gap=GAP)
        assert s.wait(timeout=100) == 0
    finally:
        s.close()
    data = esp_file(img, TRACE)
    assert data.startswith(EXITED)
    m = re.search(rb"\n# anima: stimulus (\d+:meal=300)\n", data)
    assert m, data[-2000:]
    assert data.endswith(b"# anima: end tick=30000 reason=ticks\n")
    assert rows(data) == sim_rows(sim, *run, "--stimulus", m.group(1).decode())


def test_killed_run_leaves_a_prefix(efi, tmp_path):
    # About 1 KB of trace a second: only the flush every 30 s of wall time puts it on the stick. The machine
    # is then stopped and killed (a power cut): the file is a prefix of what COM1 carried, and holds the rows
    # of that flush. (And --trace-file names the file.)
    img = make_image(str(tmp_path / "c.img"), efi, "--seed 9 --every 600 --speed 600 --trace-file run9.csv")
    sock = str(tmp_path / "qmp")
    s = Session("--image", img, "--qmp", sock, *MODERN, timeout=120)
    try:
        s.expect(rb"# anima: usb: [^\n]*\n")
        first = wait_for_file(img, rb"# anima: usb: ", name="run9.csv")
        # ends in a whole row, later on
        grown = wait_for_file(img, rb"\n\d+,[^\n]*\n(?![\s\S])", timeout=50, name="run9.csv")
        assert len(grown) > len(first)
        qmp(sock, [{"execute": "stop"}])  # the guest stands still; what COM1 sent arrives meanwhile
        end = time.monotonic() + 2
        while time.monotonic() < end:
            s._read(end)
        data = esp_file(img, "run9.csv")
    finally:
        s.close()
    com1 = EXITED + s.boot().after_ebs()
    assert len(data) >= len(grown) and com1.startswith(data), (len(data), len(com1))
    assert len(rows(data)) >= 20  # 30 s at 1 row/s
    assert esp_file(img, TRACE) is None


def test_stick_on_a_controller_not_driven(efi, tmp_path):
    # Booted from a stick on EHCI (no xHCI): one line says so before exit, no file is made, the run goes on.
    img = make_image(str(tmp_path / "d.img"), efi, "--seed 3 --ticks 600 --speed max")
    b = boot("--image", img, *MODERN, "--ehci", timeout=90)
    assert b.rc == 0, b.summary()
    assert "# anima: trace file anima-trace.csv: the stick is not on a USB controller this application drives " \
           "(xHCI); not written" in b.lines()
    assert b"# anima: end tick=600 reason=ticks\n" in b.after_ebs()
    assert esp_file(img, TRACE) is None


def test_panic_report_reaches_the_file(efi, tmp_path):
    # Without COM1 the stick is the only record of a CPU exception: the report is flushed before the halt.
    img = make_image(str(tmp_path / "e.img"), efi, "--seed 7 --every 1 --speed max --fault divide")
    s = Session("--image", img, *MODERN, "--no-serial", timeout=60)
    try:
        data = wait_for_file(img, rb"# anima: halted\n")
    finally:
        s.close()
    assert data.startswith(EXITED), data[:200]
    assert re.search(rb"\n# anima: panic vector=0 error=0x0 rip=0x[0-9a-f]+ tick=1\n", data), data[-1500:]
    assert data.endswith(b"# anima: halted\n")


def test_full_file_says_so_once(efi, sim, tmp_path):
    # A stick with about 1.2 MiB free: the file gets what is left after the 1 MiB reserve, fills up, says so
    # once on COM1, and the run goes on to its end; the file is a prefix of COM1's output.
    img, cfg, filler = str(tmp_path / "f.img"), tmp_path / "anima.cfg", tmp_path / "filler.bin"
    cfg.write_text("--seed 7 --every 1 --ticks 1200 --speed max\n")
    filler.write_bytes(b"")
    files = ["anima.cfg=%s" % cfg, "filler.bin=%s" % filler]
    subprocess.run([MKIMAGE, img, efi] + files, check=True, timeout=60)
    with open(filler, "wb") as f:
        f.truncate((esp_free(img) - 1280 * 1024) // 4096 * 4096)
    subprocess.run([MKIMAGE, img, efi] + files, check=True, timeout=60)
    free = esp_free(img)
    assert 1024 * 1024 + 65536 < free < 2 * 1024 * 1024, free
    b = boot("--image", img, *MODERN, timeout=90)
    assert b.rc == 0, b.summary()
    com1 = EXITED + b.after_ebs()
    full = b"# anima: trace file anima-trace.csv: full; the rest goes to COM1 only\n"
    assert com1.count(full) == 1
    assert com1.endswith(b"# anima: end tick=1200 reason=ticks\n")
    data = esp_file(img, TRACE)
    assert 0 < len(data) <= free - 1024 * 1024 and com1.startswith(data)
    # it got all that was left after the reserve, in whole sectors (tracefile.c), whatever the width of a row
    assert len(data) == (free - 1024 * 1024) & ~511 and full not in data, (len(data), free)
