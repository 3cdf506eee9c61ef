"""Issue 2: the UEFI loader boots, refuses bad options by name, and its COM1 trace equals anima-sim's."""
import re
import subprocess

from anima_qemu import boot, rows

RUN = ["--seed", "7", "--ticks", "7200", "--every", "60"]


def test_trace_equals_anima_sim(efi, sim):
    host = subprocess.run([sim] + RUN + ["--trace", "-"], stdout=subprocess.PIPE, check=True, timeout=120).stdout
    b = boot("--efi", efi, "--cfg", " ".join(RUN + ["--speed", "max"]), timeout=120)
    assert b.rc == 0, "QEMU did not power off by itself (status %d):\n%s" % (b.rc, b.summary())
    com1 = b.after_ebs()
    assert "# anima: seed=7" in b.lines()
    assert rows(com1) == rows(host)
    assert len(rows(host)) == 7200 // 60 + 2  # header, ticks 0..7200
    assert com1.rstrip(b"\n").split(b"\n")[-1] == b"# anima: end tick=7200 reason=ticks"


def test_bad_option_in_cfg_is_refused(efi):
    # After the refusal the firmware's boot manager goes on to its Shell: the prompt proves boot services
    # were still there.
    b = boot("--efi", efi, "--cfg", "--seed 7 --sed 3", "--until", r"anima: [^\n]*\n(.|\n)*Shell> ", timeout=60)
    assert b.rc == 0, b.summary()
    errors = [l for l in b.lines() if l.startswith("anima:")]
    assert errors == ["anima: anima.cfg: unknown option '--sed'"] or (
        len(errors) == 1 and errors[0].startswith("anima: anima.cfg: ") and "--sed" in errors[0]), errors
    assert "boot services exited" not in b.text()


def test_bad_option_on_shell_command_line_is_refused(efi):
    b = boot("--efi", efi, "--shell", "anima.efi --seed 7 --tiks 5",
             "--until", r"anima: [^\n]*\n(.|\n)*FS0:\\> ", timeout=60)
    assert b.rc == 0, b.summary()
    errors = [l for l in b.lines() if l.startswith("anima:")]
    assert len(errors) == 1 and errors[0].startswith("anima: command line: ") and "--tiks" in errors[0], errors
    assert "boot services exited" not in b.text()


def test_command_line_overrides_cfg(efi, sim):
    # Options from the Shell are used, and win over anima.cfg's.
    host = subprocess.run([sim, "--seed", "5", "--ticks", "300", "--every", "30", "--trace", "-"],
                          stdout=subprocess.PIPE, check=True, timeout=60).stdout
    b = boot("--efi", efi, "--cfg", "--seed 9 --ticks 300 --every 30 --speed max",
             "--shell", "anima.efi --seed 5", timeout=60)
    assert b.rc == 0, b.summary()
    assert rows(b.after_ebs()) == rows(host)


def test_image_boots(img):
    # The image as built, default options: a random seed, --speed 600, rows from tick 0 on.
    b = boot("--image", img, "--until", r"\n60,[^\n]*\n", timeout=60)
    assert b.rc == 0, b.summary()
    assert re.search(r"^# anima: seed=\d+$", b.text(), re.M)
    com1 = b.after_ebs()
    r = rows(com1)
    assert r[0].startswith(b"tick,") and r[1].startswith(b"0,") and r[2].startswith(b"60,")


def test_no_float_instructions(efi):
    # The engine is integer-only and the EFI side is built with -mgeneral-regs-only: no SSE/x87 state is
    # touched, which matters after ExitBootServices where nobody saved or enabled it for us.
    dis = subprocess.run(["objdump", "-d", efi], stdout=subprocess.PIPE, check=True, text=True).stdout
    bad = []
    for line in dis.split("\n"):
        parts = line.split("\t")
        if len(parts) < 3:
            continue
        insn = parts[2].strip()
        mnemonic = insn.split(" ")[0]
        if (re.search(r"%[xyz]mm\d|%mm\d|%st\b|%st\(", insn) or re.match(r"f[a-z]", mnemonic)
                or mnemonic in ("ldmxcsr", "stmxcsr", "emms")):
            bad.append(line)
    assert not bad, "float/SIMD instructions in anima.efi:\n" + "\n".join(bad[:20])
    assert "<.text>" in dis or "Disassembly" in dis


def test_resume_from_a_checkpoint_on_the_volume(efi, sim, tmp_path):
    # A checkpoint saved by anima-sim at tick 1800, resumed by anima.efi from the ESP: the rows after 1800
    # are those of an uninterrupted run.
    ck = tmp_path / "ck.bin"
    subprocess.run([sim, "--seed", "7", "--ticks", "1800", "--save", str(ck)], stdout=subprocess.DEVNULL,
                   check=True, timeout=60)
    whole = subprocess.run([sim, "--seed", "7", "--ticks", "3600", "--every", "60", "--trace", "-"],
                           stdout=subprocess.PIPE, check=True, timeout=60).stdout
    bad = tmp_path / "bad.bin"
    bad.write_bytes(ck.read_bytes()[:-9] + b"\x00" * 9)
    b = boot("--efi", efi, "--cfg", "--resume ck.bin --ticks 1800 --every 60 --speed max",
             "--file", "ck.bin=%s" % ck, timeout=60)
    assert b.rc == 0, b.summary()
    after = [r for r in rows(whole)[1:] if int(r.split(b",")[0]) > 1800]
    assert rows(b.after_ebs())[1:] == after
    b = boot("--efi", efi, "--cfg", "--resume bad.bin", "--file", "bad.bin=%s" % bad,
             "--until", r"anima: [^\n]*\n", timeout=60)
    errors = [l for l in b.lines() if l.startswith("anima:")]
    assert len(errors) == 1 and errors[0].startswith("anima: --resume bad.bin: "), errors
    assert "boot services exited" not in b.text()


def test_secure_boot_signed_runs_unsigned_refused(efi, tmp_path):
    # OVMF with Debian's snakeoil key enrolled: anima.efi signed with that key runs, the unsigned one is refused.
    import shutil
    import pytest
    if not shutil.which("sbsign"):
        pytest.skip("sbsign not installed (apt-get install sbsigntool)")
    key, signed = tmp_path / "snake.key", tmp_path / "anima-signed.efi"
    subprocess.run(["openssl", "rsa", "-in", "/usr/share/ovmf/PkKek-1-snakeoil.key", "-passin", "pass:snakeoil",
                    "-out", str(key)], check=True, stderr=subprocess.DEVNULL)
    subprocess.run(["sbsign", "--key", str(key), "--cert", "/usr/share/ovmf/PkKek-1-snakeoil.pem",
                    "--output", str(signed), efi], check=True, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    b = boot("--efi", str(signed), "--secure-boot", "--cfg", "--seed 7 --ticks 600 --speed max", timeout=60)
    assert b.rc == 0 and b"# anima: end tick=600 reason=ticks" in b.after_ebs(), b.summary()
    b = boot("--efi", efi, "--secure-boot", "--cfg", "--seed 7 --ticks 600 --speed max",
             "--until", r"Access Denied", timeout=60)
    assert "Access Denied" in b.text() and "boot services exited" not in b.text()
