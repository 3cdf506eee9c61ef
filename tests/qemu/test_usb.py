"""Issue 11: a modern PC (no PS/2, xHCI, the image on a USB stick): a USB keyboard after ExitBootServices,
and the trace written to a file on that stick."""
import os
import re
import tempfile

from anima_qemu import Session, qmp, usb_keys

MODERN = ["--modern-pc"]
GAP = 0.02  # seconds between key events: a typist, not a burst


def type_and_quit(efi, extra, check):
    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, "qmp")
        s = Session("--efi", efi, "--cfg", "--seed 3 --every 10 --speed 200", "--qmp", sock, *MODERN, *extra,
                    timeout=90)
        try:
            m, _ = s.expect(rb"# anima: usb: [^\n]*\n")
            s.expect(rb"\n20,")
            check(s, sock, m.group(0).decode())
            qmp(sock, usb_keys("\x1b"), gap=GAP, may_end=True)
            s.expect(rb"# anima: end tick=\d+ reason=command\n")
            assert s.wait() == 0
        finally:
            s.close()


def test_usb_keyboard_commands(efi):
    # With COM1 (to watch) but without PS/2: the commands can only have come from the USB keyboard.
    def check(s, sock, usb):
        assert re.search(r"xhci=1 devices=2 hubs=0 keyboards=1 storage=1", usb), usb
        qmp(sock, usb_keys("meak\bl\t300\n"), gap=GAP)  # Backspace, Tab as a space
        s.expect(rb"# [^\n]*meal[^\n]*300")
        qmp(sock, usb_keys("+"), gap=GAP)
        s.expect(rb"# anima: speed=400 tick=\d+\n")
        qmp(sock, usb_keys("bogus\n"), gap=GAP)
        s.expect(rb"# anima: command 'bogus': unknown")
    type_and_quit(efi, [], check)


def test_keyboard_behind_hub(efi):
    def check(s, sock, usb):
        assert re.search(r"devices=3 hubs=1 keyboards=1 storage=1", usb), usb
        qmp(sock, usb_keys("pause\n"), gap=GAP)
        m, _ = s.expect(rb"# anima: paused tick=(\d+)\n")
        qmp(sock, usb_keys("resume\n"), gap=GAP)
        s.expect(rb"# anima: resumed tick=" + m.group(1) + rb"\n")
    type_and_quit(efi, ["--usb-hub"], check)
