"""Issue 7: the dashboard on the screen (GOP framebuffer) and tools/psf2c.

The screen is read back through QEMU's QMP `screendump` (a PPM of what the VGA shows) while the organism
runs, and checked against what the dashboard must draw: the header and a title in the console font, pixel
for pixel; the strip chart colours of the observables the catalogue has; the hypnogram; the subsystem tiles;
a stimulus in the event list. Layout facts used here (efi/dashboard.c): the header is font height + 8 high
with its text at (font width, 4); the right pane starts at 62% of the width plus two glyphs, its title
line at y = header height + 6.
"""
import importlib.machinery
import importlib.util
import json
import os
import re
import socket
import subprocess
import time

import pytest

from conftest import BUILD, REPO, Session, boot, rows

PSF2C = os.path.join(REPO, "tools", "psf2c")
C_HEAD, C_TEXT, C_BG, C_DIM, C_GRID = 0x1f2a3a, 0xd8dee9, 0x0a0d12, 0x7a8494, 0x2a3240
C_STIMULUS = 0x88c0d0
C_PANIC = 0x600000  # dashboard_message's band
SERIES = {  # trace name -> its colour on the charts (efi/dashboard.c)
    "body.temp": 0xff8c42, "melatonin.level": 0xb48ead, "heart.rate": 0xff6b6b, "eeg.delta": 0x5e81ac,
    "affect.valence": 0x8fbcbb, "life.health": 0x88dd88,
}
STAGES = {0: 0xebcb8b, 2: 0x5e81ac, 4: 0xff6b9b}  # awake, N2, REM on the hypnogram


def load_psf2c():
    loader = importlib.machinery.SourceFileLoader("psf2c", PSF2C)
    spec = importlib.util.spec_from_loader("psf2c", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def build_font():
    """The font the build converted: ANIMA_FONT of the build's CMake cache."""
    cache = os.path.join(BUILD, "CMakeCache.txt")
    m = re.search(r"^ANIMA_FONT:FILEPATH=(.*)$", open(cache).read(), re.M) if os.path.exists(cache) else None
    if not m:
        pytest.skip("no ANIMA_FONT in %s" % cache)
    width, height, row, glyphs, table = load_psf2c().load(m.group(1))

    def glyph(c):
        g = table.get(ord(c)) if table is not None else ord(c)
        bits = glyphs[g]
        return [[bool(bits[r * row + x // 8] & (0x80 >> (x % 8))) for x in range(width)] for r in range(height)]
    return width, height, glyph


class Screen:
    def __init__(self, path):
        data = open(path, "rb").read()
        m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", data)
        assert m, "not a PPM: %r" % data[:20]
        self.w, self.h = int(m.group(1)), int(m.group(2))
        self.px = data[m.end():]
        assert len(self.px) >= self.w * self.h * 3

    def at(self, x, y):
        i = (y * self.w + x) * 3
        return self.px[i] << 16 | self.px[i + 1] << 8 | self.px[i + 2]

    def count(self, rgb, x0, y0, x1, y1):
        return sum(1 for y in range(y0, y1) for x in range(x0, x1) if self.at(x, y) == rgb)

    def text_at(self, x, y, s, fg, bg, font):
        """Mismatching pixels of string s drawn at (x, y) in fg over bg (None: any background)."""
        fw, fh, glyph = font
        bad = 0
        for k, c in enumerate(s):
            for r, line in enumerate(glyph(c)):
                for col, on in enumerate(line):
                    p = self.at(x + k * fw + col, y + r)
                    if (on and p != fg) or (not on and bg is not None and p != bg):
                        bad += 1
        return bad


def qmp(sock_path, *commands):
    s = socket.socket(socket.AF_UNIX)
    deadline = time.monotonic() + 10
    while True:
        try:
            s.connect(sock_path)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    f = s.makefile("rwb")
    json.loads(f.readline())  # the greeting
    out = []
    for cmd in ({"execute": "qmp_capabilities"},) + commands:
        f.write(json.dumps(cmd).encode() + b"\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                break  # events in between are skipped
        assert "error" not in r, r
        out.append(r["return"])
    s.close()
    return out


@pytest.fixture(scope="module")
def shot(efi, tmp_path_factory):
    """Boots with a VGA, lets the organism run at max speed, then takes a screendump mid-run."""
    tmp = tmp_path_factory.mktemp("dashboard")
    sock, ppm = str(tmp / "qmp.sock"), str(tmp / "screen.ppm")
    cfg = "--seed 7 --speed max --every 3600 --stimulus 60:meal=500"
    # A VGA whose preferred mode (EDID) is 1920x1080: OVMF starts in it and the dashboard keeps it.
    s = Session("--efi", efi, "--cfg", cfg, "--qmp", sock, "--", "-vga", "none", "-device", "VGA,xres=1920,yres=1080",
                timeout=60)
    try:
        m, _ = s.expect(rb"# anima: screen ([^\n]*)\n", timeout=40)
        s.expect(rb"boot services exited\n", timeout=20)
        # Three simulated days give the charts and the hypnogram two nights; the redraws come at most twice a
        # wall second at max speed, so wait for a few of them after that.
        s.expect(rb"\n259200,", timeout=30)
        time.sleep(2)
        qmp(sock, {"execute": "screendump", "arguments": {"filename": ppm}})
        header = s.out
    finally:
        s.close()
    return m.group(1).decode().rstrip("\r"), Screen(ppm), header


def test_screen_is_found(shot):
    line, scr, _ = shot
    m = re.match(r"(\d+)x(\d+) (rgb|bgr|bitmask) stride=(\d+) fb=0x[0-9a-f]+ gop=conout mode=kept font_scale=1$",
                 line)
    assert m, line
    # The firmware's current mode is kept, as the Linux EFI stub does: the VGA's preferred 1920x1080.
    assert (int(m.group(1)), int(m.group(2))) == (scr.w, scr.h) == (1920, 1080)


def test_header_text_in_console_font(shot):
    _, scr, _ = shot
    font = build_font()
    fw, fh, _ = font
    assert scr.at(0, 0) == C_HEAD
    assert scr.text_at(fw, 4, "ANIMA  day ", C_TEXT, C_HEAD, font) == 0
    # After the clock (its width depends on the day): the seed and speed, on the glyph grid.
    assert any(scr.text_at(fw * k, 4, "   seed 7   speed max", C_TEXT, C_HEAD, font) == 0 for k in range(18, 30))


def catalogue_groups():
    """The build's catalogue (ANIMA_CATALOGUE of its CMake cache): its group names, in order."""
    import yaml
    m = re.search(r"^ANIMA_CATALOGUE:FILEPATH=(.*)$", open(os.path.join(BUILD, "CMakeCache.txt")).read(), re.M)
    path = m.group(1) if m else os.path.join(REPO, "subsystems.yaml")
    return [g["name"] for g in yaml.safe_load(open(path))["groups"]]


def components(scr, x0, y0, x1, y1, background):
    """Connected areas (4-neighbour) of pixels not in `background` within the box."""
    w, h = x1 - x0, y1 - y0
    fg = [[scr.at(x0 + x, y0 + y) not in background for x in range(w)] for y in range(h)]
    seen, n = [[False] * w for _ in range(h)], 0
    for y in range(h):
        for x in range(w):
            if fg[y][x] and not seen[y][x]:
                n += 1
                stack = [(x, y)]
                seen[y][x] = True
                while stack:
                    cx, cy = stack.pop()
                    for nx, ny in ((cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)):
                        if 0 <= nx < w and 0 <= ny < h and fg[ny][nx] and not seen[ny][nx]:
                            seen[ny][nx] = True
                            stack.append((nx, ny))
    return n


def test_one_tile_per_subsystem_by_group(shot, sim):
    _, scr, _ = shot
    font = build_font()
    fw, fh, _ = font
    info = subprocess.run([sim, "--catalogue-info"], stdout=subprocess.PIPE, text=True, check=True).stdout
    nsub, ngroups = map(int, re.search(r"subsystems=(\d+) .*groups=(\d+)", info).groups())
    title = "subsystems (%d) in %d groups: activity since the last redraw" % (nsub, ngroups)
    rx, y = scr.w * 62 // 100 + 2 * fw, fh + 8 + 6
    assert scr.text_at(rx, y, title, C_DIM, C_BG, font) == 0
    # The group labels at the left of the pane, top to bottom in catalogue order (at most 11 characters).
    groups = catalogue_groups()
    assert len(groups) == ngroups
    inked = [yy for yy in range(y + fh, scr.h - fh) if any(scr.at(x, yy) == C_DIM for x in range(rx, rx + fw))]
    tops = sorted(set(yy - r for yy in inked for r in range(fh)))  # where a line of text with ink there starts
    last = y
    for g in groups:
        at = [yy for yy in tops if yy > last and scr.text_at(rx, yy, g[:11], C_DIM, None, font) == 0]
        assert at, "no group label %r below y=%d" % (g, last)
        last = at[0]
    # Below the tiles, the events title; between the two, one coloured rectangle per subsystem (names and
    # labels in C_DIM, separator lines in C_GRID and the gaps in C_BG are not part of any).
    ev = [yy for yy in range(last, scr.h - fh) if scr.text_at(rx, yy, "events (newest first)", C_DIM, C_BG, font) == 0]
    assert ev, "no events title below the tiles"
    assert components(scr, rx, y + fh + 2, scr.w, ev[0], {C_BG, C_DIM, C_GRID}) == nsub
    # Activity colours: more than a handful of different ones.
    tiles = set(scr.at(x, yy) for x in range(rx, scr.w - fw, 3) for yy in range(y + fh + 4, ev[0], 3))
    assert len(tiles - {C_BG, C_DIM, C_GRID}) >= 5, tiles


def test_strip_charts_and_hypnogram(shot):
    _, scr, out = shot
    header = [l for l in out.split(b"\n") if l.startswith(b"tick,")][0].decode().split(",")
    left = scr.w * 62 // 100
    for name, rgb in SERIES.items():
        if name in header:
            assert scr.count(rgb, 0, 30, left, scr.h * 5 // 6) >= 200, "no %s on the charts" % name
    if "sleep.stage" in header:
        hyp_top = scr.h - scr.h // 6
        for stage, rgb in STAGES.items():
            assert scr.count(rgb, 0, hyp_top, left, scr.h) >= 20, "no stage %d on the hypnogram" % stage


def test_stimulus_in_events(shot):
    _, scr, _ = shot
    font = build_font()
    fw, fh, _ = font
    rx = scr.w * 62 // 100 + 2 * fw
    ys = [y for y in range(scr.h // 4, scr.h) if any(scr.at(x, y) == C_STIMULUS for x in range(rx, rx + 40 * fw))]
    assert ys, "no stimulus line in the events"
    text = "stimulus 60:meal=500"
    x = rx + len("day 0 00:01  ") * fw
    assert any(scr.text_at(x, y, text, C_STIMULUS, None, font) == 0 for y in range(ys[0] - fh, ys[0] + 1))


def test_live_speed_and_pause_in_header(efi, tmp_path):
    """live.c's acknowledgements reach the header, and the screen is redrawn while the run is paused."""
    sock, ppm = str(tmp_path / "qmp.sock"), str(tmp_path / "paused.ppm")
    s = Session("--efi", efi, "--cfg", "--seed 7 --every 60 --speed 600", "--qmp", sock, "--", "-vga", "std",
                timeout=60)
    try:
        s.expect(rb"boot services exited\n", timeout=40)
        s.expect(rb"\n120,", timeout=20)
        s.send(b"speed 1200\r")
        s.expect(rb"# anima: speed=1200 tick=\d+\n", timeout=10)
        s.send(b"pause\r")
        s.expect(rb"# anima: paused tick=\d+\n", timeout=10)
        time.sleep(1.5)  # redraws while paused come at most 4 times a second
        qmp(sock, {"execute": "screendump", "arguments": {"filename": ppm}})
    finally:
        s.close()
    scr, font = Screen(ppm), build_font()
    fw = font[0]
    assert any(scr.text_at(fw * k, 4, "   seed 7   speed 1200x (paused)   sleep ", C_TEXT, C_HEAD, font) == 0
               for k in range(18, 30))


def test_panic_on_screen(efi, tmp_path):
    """A CPU exception after ExitBootServices: its report on COM1 and, in red, at the top of the screen."""
    sock, ppm = str(tmp_path / "qmp.sock"), str(tmp_path / "panic.ppm")
    s = Session("--efi", efi, "--cfg", "--seed 7 --every 1 --speed max --fault pagefault", "--qmp", sock, "--",
                "-vga", "std", timeout=60)
    try:
        s.expect(rb"# anima: halted\n", timeout=50)
        qmp(sock, {"execute": "screendump", "arguments": {"filename": ppm}})
    finally:
        s.close()
    m = re.search(rb"^# anima: panic vector=14 error=0x[0-9a-f]+ rip=0x[0-9a-f]+ tick=1$", s.out, re.M)
    assert m, s.out[-2000:]
    scr, font = Screen(ppm), build_font()
    fw, fh, _ = font
    assert scr.at(0, 0) == C_PANIC
    # The whole line, pixel for pixel, then the exception's name on the line below.
    assert scr.text_at(fw, 2, m.group(0).decode(), 0xffffff, C_PANIC, font) == 0
    assert scr.text_at(fw, fh + 4 + 2, "# anima: page fault cr2=", 0xffffff, C_PANIC, font) == 0


def test_no_screen_runs_on_com1(efi, sim):
    run = ["--seed", "3", "--ticks", "600", "--every", "60"]
    host = subprocess.run([sim] + run + ["--trace", "-"], stdout=subprocess.PIPE, check=True, timeout=60).stdout
    b = boot("--efi", efi, "--cfg", " ".join(run + ["--speed", "max"]), "--", "-vga", "none", timeout=55)
    assert b.rc == 0, b.text()[-2000:]
    assert re.search(r"^# anima: screen none \(.+\): COM1 only$", b.text(), re.M), b.text()[-2000:]
    assert rows(b.after_ebs()) == rows(host)


def test_psf2c_converts_a_debian_font(tmp_path):
    font = "/usr/share/consolefonts/Lat15-Terminus16.psf.gz"
    if not os.path.exists(font):
        pytest.skip(font + " not installed (console-setup-linux)")
    out = tmp_path / "font.c"
    subprocess.run([PSF2C, font, "-o", str(out)], check=True, timeout=30)
    c = out.read_text()
    assert "anima_font_width = 8;" in c and "anima_font_height = 16;" in c
    assert "anima_font_glyphs[1520]" in c


@pytest.mark.parametrize("data,message", [
    (b"hello world, not a font", "bad magic"),
    (b"\x36\x04\x02\x10" + bytes(100), "truncated"),
    (b"\x72\xb5\x4a\x86" + (0).to_bytes(4, "little") + (32).to_bytes(4, "little") + (0).to_bytes(4, "little")
     + (256).to_bytes(4, "little") + (13).to_bytes(4, "little") + (12).to_bytes(4, "little")
     + (6).to_bytes(4, "little"), "wrong glyph size"),
    (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
])
def test_psf2c_bad_font_is_one_line(tmp_path, data, message):
    bad, out = tmp_path / "bad.psf", tmp_path / "font.c"
    bad.write_bytes(data)
    p = subprocess.run([PSF2C, str(bad), "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("psf2c: %s: " % bad) and message in lines[0], p.stderr
    assert not out.exists()
