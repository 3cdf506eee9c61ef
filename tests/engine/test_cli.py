"""anima-sim's outside interface: options, errors, determinism, checkpoints (docs/options.md)."""
import os

import pytest

from conftest import ROOT, rows, run

BAD = [
    (["--seed"], "--seed: missing value"),
    (["--seed", "abc"], "--seed: expected a whole number, got 'abc'"),
    (["--seed", "-1"], "--seed: expected a whole number, got '-1'"),
    (["--seed", "18446744073709551616"], "--seed: 18446744073709551616 is out of range 0..18446744073709551615"),
    (["--ticks", "1.5"], "--ticks: expected a whole number, got '1.5'"),
    (["--every", "0"], "--every: 0 is out of range 1..1000000000"),
    (["--every", ""], "--every: expected a whole number, got ''"),
    (["--env", "dusk"], "--env: expected normal, dark or light, got 'dusk'"),
    (["--speed", "fast"], "--speed: expected a whole number, got 'fast'"),
    (["--speed", "0"], "--speed: 0 is out of range 1..1000000000"),
    (["--stimulus", "100:meal"], "--stimulus '100:meal': expected TICK:NAME=VALUE"),
    (["--stimulus", "x:meal=5"], "--stimulus 'x:meal=5': tick is not a whole number"),
    (["--stimulus", "100:mael=5"], "--stimulus '100:mael=5': unknown stimulus 'mael'"),
    (["--stimulus", "100:meal=5000"], "--stimulus '100:meal=5000': value must be a whole number in 0..1000"),
    (["--stimulus", "100:meal=auto"], "--stimulus '100:meal=auto': value must be a whole number in 0..1000"),
    (["--sed", "1"], "unknown option '--sed'"),
    (["extra"], "unexpected argument 'extra' (options start with --)"),
    (["--ticks", "10", "extra"], "unexpected argument 'extra' (options start with --)"),
    (["--persist"], "option '--persist' is for the UEFI application only"),
    (["--fault", "divide"], "option '--fault' is for the UEFI application only"),
    (["--catalogue-info=1"], "option '--catalogue-info' takes no value"),
    (["--trace"], "--trace: missing value"),
]


@pytest.mark.parametrize("args,message", BAD, ids=[" ".join(a) or "empty" for a, _ in BAD])
def test_bad_option_is_one_line_exit_2_no_trace(sim, tmp_path, args, message):
    trace = tmp_path / "t.csv"
    r = run(sim, "--trace", trace, "--ticks", 100, *args)
    assert r.returncode == 2
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("anima-sim: " + message), lines[0]
    assert r.stdout == ""
    assert not trace.exists()


def test_catalogue_info(sim):
    r = run(sim, "--catalogue-info")
    assert r.returncode == 0
    import re
    assert re.fullmatch(r"subsystems=\d+ variables=\d+ couplings=\d+ groups=\d+\n", r.stdout)


def test_trace_shape_and_end_line(sim):
    r = run(sim, "--seed", 7, "--ticks", 7200, "--every", 60, "--trace", "-")
    assert r.returncode == 0 and r.stderr == ""
    out = rows(r.stdout)
    header = out[0].split(",")
    assert header[0] == "tick" and all("." in h for h in header[1:])
    ticks = [int(l.split(",")[0]) for l in out[1:]]
    assert ticks == list(range(0, 7201, 60))
    assert all(len(l.split(",")) == len(header) for l in out[1:])
    assert r.stdout.rstrip("\n").splitlines()[-1] == "# anima: end tick=7200 reason=ticks"


def test_same_seed_same_trace_other_seed_other_trace(sim):
    a = run(sim, "--seed", 5, "--ticks", 20000, "--every", 10).stdout
    b = run(sim, "--seed", 5, "--ticks", 20000, "--every", 10).stdout
    c = run(sim, "--seed", 6, "--ticks", 20000, "--every", 10).stdout
    assert a == b
    assert rows(a) != rows(c)


def test_trace_file_equals_stdout(sim, tmp_path):
    f = tmp_path / "t.csv"
    a = run(sim, "--seed", 3, "--ticks", 3000, "--every", 7).stdout
    assert run(sim, "--seed", 3, "--ticks", 3000, "--every", 7, "--trace", f).returncode == 0
    assert f.read_text() == a


def test_stimulus_lines_and_effect(sim):
    base = run(sim, "--ticks", 50000, "--every", 60).stdout
    fed = run(sim, "--ticks", 50000, "--every", 60, "--stimulus", "43200:meal=800").stdout
    assert "# anima: stimulus 43200:meal=800" in fed
    assert rows(base)[:721] == rows(fed)[:721]  # identical up to the tick before (row 720 = tick 43140)
    assert rows(base) != rows(fed)


def test_resume_continues_bit_for_bit(sim, tmp_path):
    ck = tmp_path / "ck.bin"
    stim = ["--stimulus", "5000:meal=600", "--stimulus", "40000:stress=700"]
    full = run(sim, "--seed", 9, "--ticks", 60000, "--every", 30, *stim).stdout
    first = run(sim, "--seed", 9, "--ticks", 30000, "--every", 30, "--save", ck, *stim)
    assert first.returncode == 0 and ck.exists()
    rest = run(sim, "--resume", ck, "--ticks", 30000, "--every", 30, *stim)
    assert rest.returncode == 0, rest.stderr
    after = [l for l in rows(full)[1:] if int(l.split(",")[0]) > 30000]
    assert rows(rest.stdout)[1:] == after
    assert rest.stdout.rstrip().splitlines()[-1] == full.rstrip().splitlines()[-1]


def test_damaged_or_foreign_checkpoint_refused_nothing_overwritten(sim, tmp_path):
    ck = tmp_path / "ck.bin"
    assert run(sim, "--ticks", 100, "--save", ck).returncode == 0
    data = bytearray(ck.read_bytes())
    keep = tmp_path / "keep.bin"
    keep.write_bytes(b"precious")
    cases = {
        "flip": data[:60] + bytes([data[60] ^ 1]) + data[61:],
        "short": data[:30],
        "long": data + b"x",
        "magic": b"NOTANIMA" + data[8:],
        "catalogue": data[:16] + bytes([data[16] ^ 0xFF]) + data[17:],
        "version": data[:8] + bytes([9]) + data[9:],
    }
    for name, blob in cases.items():
        bad = tmp_path / ("bad-%s.bin" % name)
        bad.write_bytes(bytes(blob))
        trace = tmp_path / "t.csv"
        r = run(sim, "--resume", bad, "--save", keep, "--trace", trace)
        assert r.returncode == 1, name
        assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("anima-sim: --resume "), (name, r.stderr)
        assert keep.read_bytes() == b"precious"
        assert not trace.exists()
    r = run(sim, "--resume", tmp_path / "missing.bin")
    assert r.returncode == 1 and "No such file" in r.stderr


def test_progress_only_on_a_terminal(sim, tmp_path):
    """Long runs show progress when stderr is a terminal, and nothing when it is a pipe."""
    import os
    import subprocess
    master, slave = os.openpty()
    trace = tmp_path / "t.csv"
    p = subprocess.run([sim, "--ticks", "864000", "--every", "86400", "--trace", str(trace)],
                       stderr=slave, stdout=subprocess.DEVNULL, timeout=600)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.returncode == 0
    assert b"anima-sim: day 0 00:00" in seen and b"ticks/s" in seen
    piped = run(sim, "--ticks", "864000", "--every", "86400", "--trace", str(trace))
    assert piped.returncode == 0 and piped.stderr == ""
