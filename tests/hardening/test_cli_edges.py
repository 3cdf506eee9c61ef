"""Finding 8's command-line items: a newline inside an argument made a two-line error; `anima-gen run` took
`--ticks -1`; `tools/qemu-boot --cfg '--persist'` (as docs/running.md prints it) was an argparse error."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT, TOOLS

PY = os.environ.get("ANIMA_PYTHON", "/usr/bin/python3")
CATALOGUE = os.environ.get("ANIMA_CATALOGUE", os.path.join(ROOT, "subsystems.yaml"))


@pytest.mark.parametrize("args,starts", [
    (["--seed", "7\n8"], "anima-sim: --seed: expected a whole number, got '7\\n8'"),
    (["--se\ned", "3"], "anima-sim: unknown option '--se\\ned'"),
    (["--stimulus", "10:meal=5\n0"], "anima-sim: --stimulus '10:meal=5\\n0'"),
    (["--resume", "no\nsuch"], "anima-sim: --resume no\\nsuch: "),
    (["--trace", "/nonexistent/a\nb"], "anima-sim: --trace /nonexistent/a\\nb: "),
    (["--save", "/nonexistent/a\tb"], "anima-sim: --save /nonexistent/a\\tb: "),
])
def test_control_characters_in_arguments_stay_on_one_line(sim, args, starts, tmp_path):
    r = subprocess.run([sim, "--ticks", "1"] + args, capture_output=True, text=True, cwd=str(tmp_path))
    assert r.returncode in (1, 2)
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(starts), r.stderr


@pytest.mark.parametrize("args,message", [
    (["--ticks", "-1"], "argument --ticks: expected a whole number in 0..18446744073709551615, got '-1'"),
    (["--every", "0"], "argument --every: expected a whole number in 1..18446744073709551615, got '0'"),
    (["--seed", "x"], "argument --seed: expected a whole number in 0..18446744073709551615, got 'x'"),
])
def test_anima_gen_run_refuses_what_anima_sim_refuses(args, message):
    r = subprocess.run([PY, os.path.join(ROOT, "gen", "anima-gen"), "run", CATALOGUE, "--"]
                       + args, capture_output=True, text=True, timeout=300)
    assert (r.returncode, r.stdout) == (2, "")
    assert [l for l in r.stderr.splitlines() if "warning:" not in l] == ["anima-gen run: error: " + message]


def test_qemu_boot_takes_option_text_beginning_with_a_dash():
    sys.path.insert(0, TOOLS)
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("qemu_boot", os.path.join(TOOLS, "qemu-boot"))
    spec = importlib.util.spec_from_loader("qemu_boot", loader)
    qb = importlib.util.module_from_spec(spec)
    loader.exec_module(qb)
    old = sys.argv
    try:
        sys.argv = ["qemu-boot", "--efi", "x.efi", "--cfg", "--persist", "--shell", "-x", "--vars=v.fd",
                    "--until", "-1,", "--", "-m", "64"]
        a = qb.parse()
    finally:
        sys.argv = old
    assert (a.cfg, a.shell, a.until, a.vars, a.efi) == ("--persist", "-x", "-1,", "v.fd", "x.efi")
    assert a.qemu_args == ["-m", "64"]
