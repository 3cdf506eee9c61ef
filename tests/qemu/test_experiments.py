"""Issue 13 on the UEFI side: --help in the Shell, and --columns/--scenario/--set giving COM1 rows equal to anima-sim's."""
import subprocess

from anima_qemu import boot, rows

SCENARIO = "# two meals and a stressor\nd0 00:20 meal=500\n1800:stress=400\nd0 00:45:30 meal=auto\n"
SCENARIO_OK = "# two meals and a stressor\nd0 00:20 meal=500\n1800:stress=400\nd0 00:45:30 meal=300\n"
RUN = ["--seed", "11", "--ticks", "3600", "--every", "30", "--columns", "sleep.*,body.temp,env.light,metabolism.*",
       "--set", "env.dawn=0", "--scenario", "sc.txt"]


def test_help_and_a_bad_scenario_in_the_shell_return_without_taking_the_machine(efi, tmp_path):
    # Two commands in one Shell session: both answer and return to the Shell prompt.
    sc = tmp_path / "sc.txt"
    sc.write_text(SCENARIO)  # line 4: meal=auto, and meal has no 'auto'
    b = boot("--efi", efi, "--file", "sc.txt=%s" % sc,
             "--shell", "anima.efi --help\r\nanima.efi --scenario sc.txt --speed max",
             "--until", r"anima: sc.txt:[^\n]*\n(.|\n)*FS0:\\> ", timeout=60)
    assert b.rc == 0, b.summary()
    text = b.text()
    assert "usage: anima.efi [OPTION...]" in text and "  --scenario FILE" in text
    assert text.index("print the version") < text.index("anima: sc.txt")
    errors = [l for l in b.lines() if l.startswith("anima:")]
    assert errors == ["anima: sc.txt:4:18: error: value must be a whole number in 0..1000"], errors
    assert "boot services exited" not in text


def test_columns_scenario_and_set_on_com1_equal_anima_sim(efi, sim, tmp_path):
    sc = tmp_path / "sc.txt"
    sc.write_text(SCENARIO_OK)
    host = subprocess.run([sim] + [str(sc) if a == "sc.txt" else a for a in RUN] + ["--trace", "-"],
                          stdout=subprocess.PIPE, check=True, timeout=60).stdout
    header = rows(host)[0].split(b",")
    assert header[:2] == [b"tick", b"env.light"] and b"body.temp" in header and len(header) < 30
    b = boot("--efi", efi, "--cfg", " ".join(RUN + ["--speed", "max"]), "--file", "sc.txt=%s" % sc, timeout=60)
    assert b.rc == 0, b.summary()
    com1 = b.after_ebs()
    assert rows(com1) == rows(host)
    assert [l for l in com1.split(b"\n") if l.startswith(b"# anima: stimulus")] == \
           [l for l in host.split(b"\n") if l.startswith(b"# anima: stimulus")]


def test_save_in_cfg_is_refused_by_name(efi):
    b = boot("--efi", efi, "--cfg", "--save x.ckp", "--until", r"anima: [^\n]*\n(.|\n)*Shell> ", timeout=60)
    errors = [l for l in b.lines() if l.startswith("anima:")]
    assert errors == ["anima: anima.cfg: option '--save' is for anima-sim only"], errors
    assert "boot services exited" not in b.text()
