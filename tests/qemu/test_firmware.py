"""Issue 12: what physical PCs do that a default QEMU does not show - the variable store filling up under
--persist, a UART found through ACPI SPCR, the GOP mode kept, escape sequences on COM1, each clock source,
NMIs, ACPI power off.

Each test builds the unusual machine in QEMU: a variable store filled with other variables, an SPCR table
(bytes built here, checksum included) given with -acpitable, a pci-serial UART, a VGA with a chosen mode, an
NMI from QMP.
"""
import re
import shutil
import struct
import subprocess
import time

import pytest

from anima_qemu import Session, boot, paced_run, rows
from test_dashboard import C_HEAD, C_TEXT, Screen, build_font, qmp

OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


def sim_rows(sim, *args):
    return rows(subprocess.run([sim] + list(args) + ["--trace", "-"], stdout=subprocess.PIPE, check=True,
                               timeout=120).stdout)


def persisted(b):
    return [int(t) for t in re.findall(r"^# anima: persisted tick=(\d+)$", b.text(), re.M)]


def resumed(b):
    return [int(t) for t in re.findall(r"^# anima: resumed tick=(\d+)$", b.text(), re.M)]


# ---- --persist and the variable store ----

TICKS = 2000000


@pytest.fixture(scope="module")
def long_run(efi, tmp_path_factory):
    """A --persist run of 2,000,000 ticks at --speed max on a fresh variable store: its log and the store."""
    vars_fd = str(tmp_path_factory.mktemp("persist") / "vars.fd")
    b = boot("--efi", efi, "--cfg", "--seed 7 --persist --ticks %d --every 86400 --speed max" % TICKS,
             "--vars=" + vars_fd, timeout=120)
    return b, vars_fd


def test_persist_well_past_the_old_failure(efi, sim, tmp_path, long_run):
    # The loader used to write every simulated hour: at --speed max OVMF's store was full after 256 saves
    # (tick 921600), every later save failed, the last one too. Now: one write at boot, one at the end (the
    # run is far shorter than 10 minutes of wall time), and the next boot continues from the end.
    b, store = long_run
    assert b.rc == 0, b.summary()
    assert persisted(b) == [0, TICKS], b.summary()
    assert "not saved" not in b.text() and "stale" not in b.text()
    m = re.search(r"^# anima: persist: variable AnimaOrganism (\d+) bytes, store (\d+) of (\d+) bytes free",
                  b.text(), re.M)
    assert m and int(m.group(1)) < 4096 and int(m.group(2)) > 100000, b.summary()
    vars_fd = str(tmp_path / "vars.fd")
    shutil.copyfile(store, vars_fd)
    b = boot("--efi", efi, "--cfg", "--persist --ticks 86400 --every 86400 --speed max", "--vars=" + vars_fd,
             timeout=60)
    assert b.rc == 0, b.summary()
    assert resumed(b) == [TICKS] and "stale" not in b.text(), b.summary()
    assert persisted(b) == [TICKS, TICKS + 86400]
    whole = sim_rows(sim, "--seed", "7", "--ticks", str(TICKS + 86400), "--every", "86400")
    assert rows(b.after_ebs())[1:] == [r for r in whole[1:] if int(r.split(b",")[0]) > TICKS]


VAR_GUID = bytes.fromhex("78 2c f3 aa 7b 94 9a 43 a1 80 2e 14 4e c3 77 92")  # authenticated variable store
FILL_GUID = bytes(range(16))


def records(data):
    """The variable records of an EDK2 authenticated store: (offset, state, bytes), and the store's end."""
    hdr = 0x48  # after the firmware volume header
    assert data[hdr:hdr + 16] == VAR_GUID, "unexpected OVMF_VARS layout"
    end = hdr + struct.unpack_from("<I", data, hdr + 16)[0]
    off, out = hdr + 28, []
    while off + 60 <= end and struct.unpack_from("<H", data, off)[0] == 0x55AA:
        name_size, data_size = struct.unpack_from("<II", data, off + 36)
        nxt = (off + 60 + name_size + data_size + 3) & ~3
        out.append((off, data[off + 2], bytes(data[off:nxt])))
        off = nxt
    return hdr + 28, end, out


def fill_store(path, leave):
    """Compacts a variable store as the firmware's reclaim does (deleted records and earlier fillers go),
    then adds live variables until `leave` bytes are free: live, so the firmware's reclaim cannot make room
    (with less than ~33 KiB free OVMF reclaims at every boot, which costs ~25 s under TCG). EDK2's
    authenticated format: a 60-byte header per variable, then the UCS-2 name and the data, 4-byte
    aligned. leave=None: only compact."""
    data = bytearray(open(path, "rb").read())
    start, end, recs = records(data)
    live = b"".join(r for _, state, r in recs if state == 0x3F and r[44:60] != FILL_GUID)
    data[start:end] = live + b"\xFF" * (end - start - len(live))
    off, k = start + len(live), 0
    while leave is not None and end - off - leave >= 60 + 16:
        name = ("Fill%d" % k).encode("utf-16-le") + b"\0\0"
        room = end - off - leave
        size = min(4000, room - 60 - len(name)) & ~3
        if 0 < room - ((60 + len(name) + size + 3) & ~3) < 60 + 16:
            size -= 80  # leave room for one more record instead of a gap too small for any
        rec = struct.pack("<HBBIQ16sIII16s", 0x55AA, 0x3F, 0, 7, 0, b"\0" * 16, 0, len(name), size, FILL_GUID)
        rec += name + b"\xA5" * size
        rec += b"\0" * (-len(rec) % 4)
        data[off:off + len(rec)] = rec
        off += len(rec)
        k += 1
    open(path, "wb").write(bytes(data))
    return end - off


def test_persist_full_store_is_said_on_com1_and_screen_then_stale_at_next_boot(efi, tmp_path, long_run):
    # A store with ~4.6 KiB free: the firmware's own boot writes and the boot's record fit, the last save
    # would eat the firmware's 5 KiB reserve, so it is refused: on COM1, and on the screen (held there before
    # the power goes). The next boot (the store compacted as the firmware would) finds the boot's record
    # without the FINAL mark and says it is stale before resuming it. The store is the long run's: the
    # firmware's own first boot has written its ~12 KiB of variables there.
    vars_fd = str(tmp_path / "vars.fd")
    shutil.copyfile(long_run[1], vars_fd)
    free = fill_store(vars_fd, 4600)
    assert 4500 < free <= 4600
    sock, ppm = str(tmp_path / "qmp.sock"), str(tmp_path / "screen.ppm")
    s = Session("--efi", efi, "--cfg", "--persist --ticks 5000 --every 1000 --speed max",
                "--vars=" + vars_fd, "--qmp", sock, timeout=150)
    try:
        m, _ = s.expect(rb"# anima: persist: not saved at tick=2005000: the variable store has (\d+) bytes free, "
                        rb"the last save needs (\d+)\n", timeout=140)
        assert int(m.group(1)) < int(m.group(2))
        qmp(sock, {"execute": "screendump", "arguments": {"filename": ppm}})
        scr = Screen(ppm)
        band = scr.count(0x600000, 0, 0, scr.w, 20)  # dashboard_message's red band at the top
        assert band > scr.w * 5, "no failure band on the screen"
    finally:
        s.close()
    b = s.boot()
    assert resumed(b) == [TICKS] and persisted(b) == [TICKS], b.summary()
    fill_store(vars_fd, None)
    b = boot("--efi", efi, "--cfg", "--persist --ticks 100 --every 100 --speed max", "--vars=" + vars_fd, timeout=60)
    t = b.text()
    assert re.search(r"^# anima: persist: stale: tick=%d is not the end of the run" % TICKS, t, re.M), b.summary()
    assert resumed(b) == [TICKS]
    assert t.index("persist: stale") < t.index("# anima: resumed tick=%d" % TICKS)


# ---- the UART: ACPI SPCR ----

def acpi_table(sig, rev, body):
    length = 36 + len(body)
    head = struct.pack("<4sIBB6s8sI4sI", sig, length, rev, 0, b"ANIMA ", b"ANIMATST", 1, b"ANIM", 1)
    raw = bytearray(head + body)
    raw[9] = (-sum(raw)) & 0xFF
    assert sum(raw) & 0xFF == 0
    return bytes(raw)


def spcr(space, address, pci=None, width=8):
    """SPCR revision 2: a 16550 (type 0), 115200 baud; pci=(vendor, device, bus, dev, fn) or None."""
    vendor, device, bus, dev, fn = pci or (0xFFFF, 0xFFFF, 0, 0, 0)
    body = struct.pack("<B3x", 0)
    body += struct.pack("<BBBBQ", space, width, 0, 1 if width == 8 else 3, address)
    body += struct.pack("<BBI", 0, 0, 0)  # no interrupt: polled
    body += struct.pack("<BBBBBB", 7, 0, 1, 0, 0, 0)  # 115200, no parity, 1 stop bit, no flow control
    body += struct.pack("<HHBBBIBI", device, vendor, bus, dev, fn, 0, 0, 0)
    return acpi_table(b"SPCR", 2, body)


RUN = ["--seed", "7", "--ticks", "3600", "--every", "600"]


@pytest.mark.parametrize("kind", ["pci-serial", "io-com2"])
def test_uart_from_spcr(efi, sim, tmp_path, kind):
    # The trace goes to the UART the SPCR names, not to COM1: a pci-serial card found through its BAR (the
    # table gives bus/device/function and leaves the address to the BAR), or a port given by address.
    table, out = tmp_path / "spcr.bin", tmp_path / "uart.out"
    if kind == "pci-serial":
        table.write_bytes(spcr(1, 0, pci=(0x1B36, 0x0002, 0, 5, 0)))
        extra = ["-chardev", "file,id=u2,path=%s" % out, "-device", "pci-serial,chardev=u2,addr=05.0"]
    else:
        table.write_bytes(spcr(1, 0x2F8))
        extra = ["-serial", "file:%s" % out]
    b = boot("--efi", efi, "--cfg", " ".join(RUN + ["--speed", "max"]), "--",
             "-acpitable", "file=%s" % table, *extra, timeout=60)
    assert b.rc == 0, b.summary()
    uart = out.read_bytes()
    assert b"# anima: boot services exited\n" in uart, b.summary()
    after = uart[uart.index(b"# anima: boot services exited\n"):]
    assert rows(after) == sim_rows(sim, *RUN)
    line = re.search(rb"# anima: uart=(\S+) io=0x([0-9a-f]+)[^\n]* present=1", uart)
    assert line, uart[:2000]
    if kind == "pci-serial":
        assert line.group(1) == b"spcr-pci" and b"pci=0:5.0" in uart and int(line.group(2), 16) != 0x3F8
    else:
        assert line.group(1) == b"spcr" and int(line.group(2), 16) == 0x2F8
    assert b"boot services exited" not in b.out  # COM1 carries none of it


# ---- input: escape sequences on COM1; faults: an NMI ----

def test_escape_sequences_do_not_quit_and_an_nmi_is_survived(efi, tmp_path):
    # Arrow keys (ESC [ A, ESC O A), an F-key (ESC [ 1 5 ~) and Alt+x (ESC x) are taken out whole, even in
    # the middle of a command; an NMI from the QEMU monitor is logged and the run goes on; a lone Esc
    # followed by a pause still quits.
    sock = str(tmp_path / "qmp.sock")
    s = Session("--efi", efi, "--cfg", "--seed 3 --every 10 --speed 200", "--qmp", sock, timeout=90)
    try:
        s.expect(rb"# anima: boot services exited\n")
        s.expect(rb"\n20,")
        s.send(b"\x1b[A\x1b[B\x1bOA\x1b[15~\x1bx")
        s.send(b"me\x1b[Dal 300\r")
        s.expect(rb"# [^\n]*meal[^\n]*300")
        qmp(sock, {"execute": "inject-nmi"})
        m, _ = s.expect(rb"# anima: nmi count=1 reason=(\w+) rip=0x[0-9a-f]+ tick=(\d+) stack=ist\n")
        nmi_tick = int(m.group(2))
        s.expect(rb"\n%d," % ((nmi_tick // 10 + 2) * 10))  # rows go on after it
        assert b"reason=command" not in s.out and b"panic" not in s.out
        s.send(b"\x1b")
        m, t_end = s.expect(rb"# anima: end tick=(\d+) reason=command\n", timeout=30)
        assert s.wait() == 0
    finally:
        s.close()


# ---- clocks ----

def clock_line(b):
    m = re.search(r"^# anima: clock=(\w+) hz=(\d+) tsc_hz=(\d+) calibrated_by=(\w+)[^\n]* source=(\w+)([^\n]*)$",
                  b.text(), re.M)
    assert m, b.summary()
    return m


# source -> (clock, calibrated_by, missing) on QEMU q35: HPET and PM timer present, the TSC not invariant, and
# no CPUID leaf 0x15/0x16 on TCG's CPUs (not even with -cpu max,level=0x16,tsc-frequency=...): a forced
# `cpuid` is said to be missing and the best of the rest is used.
CLOCKS = {
    "tsc": ("tsc", "hpet", False), "hpet": ("hpet", "hpet", False),
    "pmtimer": ("pmtimer", "pmtimer", False), "pit": ("tsc", "pit", False), "cpuid": ("hpet", "hpet", True),
}


@pytest.fixture(scope="module")
def host_tsc_hz(efi):
    """The TSC rate the guest measures by default: auto on q35 is the HPET, for the run and the TSC alike."""
    b = boot("--efi", efi, "--cfg", "--ticks 1 --speed max", timeout=60)
    m = clock_line(b)
    assert (m.group(1), m.group(4), m.group(5)) == ("hpet", "hpet", "auto"), m.group(0)
    return int(m.group(3))


@pytest.mark.parametrize("source", sorted(CLOCKS))
def test_clock_source_forced(efi, source, host_tsc_hz):
    # Each source forced in turn: the guest says which clock runs and what measured the TSC (within 5 % of the
    # default's measure), and a paced run of 1500 ticks at --speed 1000 takes about 1.5 s of wall time (from
    # its first row to its end line, as QEMU's output arrives; generous bounds: the host may be busy).
    b, seconds = paced_run(efi, 1500, 1000, "--clock " + source)
    m = clock_line(b)
    clock, by, missing = CLOCKS[source]
    assert (m.group(1), m.group(4), m.group(5)) == (clock, by, source), m.group(0)
    assert ("forced_source_missing=1" in m.group(6)) == missing, m.group(0)
    assert int(m.group(2)) > 1000000
    tsc = int(m.group(3))
    assert abs(tsc - host_tsc_hz) * 100 < host_tsc_hz * 5, "TSC %d Hz by %s, %d by auto" % (tsc, source, host_tsc_hz)
    assert [int(r.split(b",")[0]) for r in rows(b.after_ebs())[1:]] == [0, 500, 1000, 1500]
    assert 0.75 < seconds < 6, "1500 ticks at --speed 1000 took %.2fs with --clock %s" % (seconds, source)


# ---- the screen: the firmware's mode kept, the font scaled on large screens ----

def scaled(font, k):
    fw, fh, glyph = font
    return fw * k, fh * k, lambda c: [[row[x // k] for x in range(fw * k)] for row in glyph(c) for _ in range(k)]


def test_gop_mode_kept_and_font_scaled(efi, tmp_path):
    # A VGA whose preferred mode (its EDID) is 2560x2048: OVMF starts in it (its default is 1280x800, which
    # test_dashboard sees kept), the dashboard keeps it, and on a screen of over 2000 lines the header is
    # drawn in the console font at twice its size. (This OVMF offers no 3840x2160; 2560x2048 takes the same
    # path.)
    xres, yres, scale = 2560, 2048, 2
    sock, ppm = str(tmp_path / "qmp.sock"), str(tmp_path / "screen.ppm")
    s = Session("--efi", efi, "--cfg", "--seed 7 --speed max --every 86400", "--qmp", sock, "--memory", "1G",
                "--", "-vga", "none", "-device", "VGA,xres=%d,yres=%d,vgamem_mb=64" % (xres, yres), timeout=90)
    try:
        m, _ = s.expect(rb"# anima: screen (\d+)x(\d+) [^\n]* mode=(\w+) font_scale=(\d)\r?\n", timeout=60)
        assert (int(m.group(1)), int(m.group(2)), m.group(3), int(m.group(4))) == (xres, yres, b"kept", scale)
        s.expect(rb"\n86400,", timeout=60)
        time.sleep(1.5)
        qmp(sock, {"execute": "screendump", "arguments": {"filename": ppm}})
    finally:
        s.close()
    scr = Screen(ppm)
    assert (scr.w, scr.h) == (xres, yres)
    font = scaled(build_font(), scale)
    fw, fh, _ = font
    assert scr.at(0, 0) == C_HEAD
    assert scr.text_at(fw, 4, "ANIMA  day ", C_TEXT, C_HEAD, font) == 0


# ---- a legacy-free machine: no i8042; power off registers ----

def test_legacy_free_machine_and_acpi_power_registers(efi, sim):
    # q35 without its i8042: the FADT's 8042 flag is clear and the keyboard ports are left alone. The power
    # line gives the ACPI S5 registers found (ICH9's PM1a control at 0x604, \_S5 type 0 in QEMU's DSDT),
    # used only if ResetSystem returns.
    b = boot("--efi", efi, "--cfg", " ".join(RUN + ["--speed", "max"]), "--machine", "q35,i8042=off", timeout=60)
    assert b.rc == 0, b.summary()
    assert "# anima: i8042=fadt says none" in b.lines(), b.summary()
    assert "# anima: power=resetsystem s5=pm1a:0x604 slp_typ=0,0 hypervisor=1" in b.lines(), b.summary()
    assert rows(b.after_ebs()) == sim_rows(sim, *RUN)

