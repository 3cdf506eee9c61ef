"""Helpers of the QEMU tests: booting through tools/qemu-boot and reading a COM1 log.

A module of its own (not conftest) so that test files can import it by a name no other suite uses.
"""
import json
import os
import re
import socket
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QEMU_BOOT = os.path.join(REPO, "tools", "qemu-boot")
MKIMAGE = os.path.join(REPO, "tools", "mkimage")
EXITED = b"# anima: boot services exited\n"


class Boot:
    def __init__(self, rc, out, seconds):
        self.rc, self.out, self.seconds = rc, out, seconds

    def text(self):
        """The whole log as text, firmware escape sequences and CRs removed (for searching only)."""
        t = re.sub(rb"\x1b\[[0-9;=?]*[A-Za-z]", b"", self.out).replace(b"\r", b"")
        return t.decode("latin-1")

    def lines(self):
        return self.text().split("\n")

    def summary(self):
        """For failure messages: our own lines (anywhere) and the end of the log."""
        ours = [l for l in self.lines() if "anima" in l or "BdsDxe" in l]
        return "\n".join(ours[-40:]) + "\n--- last lines ---\n" + self.text()[-1500:]

    def after_ebs(self):
        """The raw bytes COM1 received after ExitBootServices (nothing of the firmware's is in there)."""
        i = self.out.find(EXITED)
        assert i >= 0, "no '# anima: boot services exited' line in:\n" + self.summary()
        return self.out[i + len(EXITED):]


def boot(*args, timeout=60, stdin=None):
    """Runs tools/qemu-boot with a time limit; returns its exit status and the raw stdout bytes."""
    start = time.monotonic()
    p = subprocess.run([QEMU_BOOT, "--timeout", str(timeout)] + list(args), stdin=stdin or subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout + 30)
    return Boot(p.returncode, p.stdout, time.monotonic() - start)


def rows(data):
    """Trace rows (non-comment lines) of raw bytes, byte for byte, without the line ends."""
    return [l for l in data.split(b"\n") if l and not l.startswith(b"#")]


class Session:
    """A running tools/qemu-boot: read COM1 as it comes (with timestamps), write to COM1, wait for the end."""

    def __init__(self, *args, timeout=60):
        self.start = time.monotonic()
        self.out = b""
        self.proc = subprocess.Popen([QEMU_BOOT, "--timeout", str(timeout)] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.deadline = self.start + timeout + 10

    def _read(self, until):
        import select
        left = until - time.monotonic()
        if left <= 0:
            return False
        ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
        if ready:
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                return None
            self.out += data
        return True

    def expect(self, pattern, timeout=30):
        """Waits for a regex (bytes) in the output after `pos`; returns (match, seconds since start)."""
        rx = re.compile(pattern)
        until = min(time.monotonic() + timeout, self.deadline)
        while True:
            m = rx.search(self.out)
            if m:
                return m, time.monotonic() - self.start
            r = self._read(until)
            if not r:
                raise AssertionError("no %r within %ss; output so far:\n%s" % (
                    pattern, timeout, Boot(0, self.out, 0).summary()))

    def send(self, data):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait(self, timeout=30):
        """Reads to the end; returns QEMU's exit status."""
        until = time.monotonic() + timeout
        while self._read(until):
            pass
        try:
            return self.proc.wait(timeout=max(0.1, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.close()
            raise AssertionError("QEMU still running after %ss:\n%s" % (timeout, Boot(0, self.out, 0).text()[-2000:]))

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def boot(self):
        return Boot(self.proc.returncode, self.out, time.monotonic() - self.start)


def paced_run(efi, ticks, speed, *cfg, timeout=60):
    """Boots a run of `ticks` at `--speed speed` (rows every 500 ticks) and times it from its first row to its
    end line, as QEMU's output arrives; returns (its Boot, the seconds). Pacing tests bound these seconds."""
    s = Session("--efi", efi, "--cfg", " ".join(["--seed 3 --ticks %d --every 500 --speed %d" % (ticks, speed)]
                                                 + list(cfg)), timeout=timeout)
    try:
        _, t0 = s.expect(rb"\n0,[^\n]*\n")
        _, t1 = s.expect(rb"# anima: end tick=%d reason=ticks\n" % ticks)
        assert s.wait() == 0
    finally:
        s.close()
    return s.boot(), t1 - t0


def qmp(path, commands, gap=0.0, may_end=False):
    """Runs QMP commands on QEMU's socket at path, each to its answer, `gap` seconds apart (a USB keyboard
    holds only 16 events until the guest polls it: keys typed faster than that are lost, as on QEMU's PS/2).
    may_end: the commands may end the run (Esc), so QEMU may be gone before the last ones are answered."""
    sock = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            sock.connect(path)
            break
        except OSError:
            time.sleep(0.1)
    f = sock.makefile("rw")
    try:
        json.loads(f.readline())
        for c in [{"execute": "qmp_capabilities"}] + commands:
            time.sleep(gap if c["execute"] != "qmp_capabilities" else 0)
            f.write(json.dumps(c) + "\n")
            f.flush()
            while True:
                line = f.readline()
                if not line and may_end:
                    return
                r = json.loads(line)
                if "error" in r:
                    raise AssertionError("QMP %s: %s" % (c["execute"], r["error"].get("desc")))
                if "return" in r:
                    break
    except (BrokenPipeError, ConnectionResetError):
        if not may_end:
            raise
    finally:
        sock.close()


def usb_keys(text):
    """QMP input-send-event commands typing text (a press and a release per key). They go to the machine's
    keyboard: on --modern-pc (no PS/2) that is the USB one. (Naming the device is refused unless it is bound
    to a display console, which a usb-kbd is not.)"""
    names = {" ": "spc", "\n": "ret", "-": "minus", "=": "equal", ".": "dot", "+": "kp_add", "\x1b": "esc",
             "\b": "backspace", "\t": "tab"}
    out = []
    for ch in text:
        key = names.get(ch, ch.lower())
        shift = ch.isupper()
        for down in (True, False):
            if shift and down:
                out.append(_key_event("shift", True))
            out.append(_key_event(key, down))
            if shift and not down:
                out.append(_key_event("shift", False))
    return out


def _key_event(key, down):
    return {"execute": "input-send-event", "arguments": {"events": [
        {"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": key}}}]}}


def make_image(path, efi, cfg=None):
    """A disk image as tools/mkimage makes it (BOOTX64.EFI, and anima.cfg holding the line cfg)."""
    extra = []
    if cfg is not None:
        cfgfile = path + ".cfg"
        with open(cfgfile, "w") as f:
            f.write(cfg + "\n")
        extra = ["anima.cfg=" + cfgfile]
    subprocess.run([MKIMAGE, path, efi] + extra, check=True, timeout=60)
    return path


def _esp(img):
    dump = subprocess.run(["/usr/sbin/sfdisk", "--dump", img], stdout=subprocess.PIPE, check=True).stdout.decode()
    start = int(re.search(r"start=\s*(\d+)", dump).group(1))
    return "%s@@%d" % (img, start * 512), dict(os.environ, MTOOLS_SKIP_CHECK="1")


def esp_file(img, name):
    """The bytes of file `name` at the root of the image's ESP (read with mtools), or None when it is absent."""
    where, env = _esp(img)
    p = subprocess.run(["mtype", "-i", where, "::/" + name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=30)
    return p.stdout if p.returncode == 0 else None


def esp_free(img):
    """Free bytes on the image's ESP (mtools' minfo)."""
    where, env = _esp(img)
    out = subprocess.run(["minfo", "-i", where, "::"], stdout=subprocess.PIPE, env=env, timeout=30).stdout.decode()
    clusters = int(re.search(r"free clusters=(\d+)", out).group(1))
    size = int(re.search(r"cluster size:\s*(\d+) sectors", out).group(1)) * 512
    return clusters * size
