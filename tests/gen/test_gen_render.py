"""Golden outputs and render's file discipline: byte-stable output, files written only when their text changed."""
import difflib
import filecmp
import os

import pytest

from animatest import CATALOGUES, ROOT, compile_sim, gen, render

GOLDEN = os.path.join(ROOT, "tests", "gen", "golden")
SMALL = os.path.join(CATALOGUES, "small.yaml")
OLD = 1_000_000_000  # an mtime far in the past: a rewrite cannot keep it


def listing(d):
    return sorted(f for f in os.listdir(d))


@pytest.mark.parametrize("name", sorted(os.listdir(GOLDEN)))
def test_golden(tmp_path, name):
    out = render(os.path.join(CATALOGUES, name + ".yaml"), str(tmp_path / name))
    want_dir = os.path.join(GOLDEN, name)
    assert listing(out) == listing(want_dir), "generated files differ from the golden ones (tools/regen-golden)"
    for f in listing(want_dir):
        with open(os.path.join(want_dir, f), "rb") as a, open(os.path.join(out, f), "rb") as b:
            want, got = a.read(), b.read()
        if want != got:
            diff = difflib.unified_diff(want.decode().splitlines(), got.decode().splitlines(),
                                        "golden/%s/%s" % (name, f), "rendered/%s" % f, lineterm="", n=2)
            pytest.fail("%s differs from its golden copy; if the change is intended run tools/regen-golden and "
                        "review the diff:\n%s" % (f, "\n".join(list(diff)[:80])))


def test_render_is_byte_stable(tmp_path):
    a = render(SMALL, str(tmp_path / "a"))
    b = render(SMALL, str(tmp_path / "b"))
    names = listing(a)
    assert names == listing(b)
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert (mismatch, errors) == ([], [])


def test_rerender_writes_nothing(tmp_path):
    out = render(SMALL, str(tmp_path / "g"))
    for f in listing(out):
        os.utime(os.path.join(out, f), (OLD, OLD))
    render(SMALL, out)
    for f in listing(out):
        assert os.stat(os.path.join(out, f)).st_mtime == OLD, "%s was rewritten with the same text" % f
    assert not [f for f in listing(out) if f.endswith(".tmp")]


def test_rerender_rewrites_only_the_damaged_file(tmp_path):
    out = render(SMALL, str(tmp_path / "g"))
    for f in listing(out):
        os.utime(os.path.join(out, f), (OLD, OLD))
    victim = os.path.join(out, "group_body.c")
    with open(victim, "a") as f:
        f.write("/* edited by hand */\n")
    os.utime(victim, (OLD, OLD))
    render(SMALL, out)
    with open(victim) as f:
        assert "edited by hand" not in f.read()
    assert os.stat(victim).st_mtime != OLD
    for f in listing(out):
        if f != "group_body.c":
            assert os.stat(os.path.join(out, f)).st_mtime == OLD, "%s was rewritten" % f


def test_outputs_lists_what_render_writes(tmp_path):
    r = gen("outputs", SMALL)
    assert r.returncode == 0, r.stderr
    out = render(SMALL, str(tmp_path / "g"))
    assert sorted(r.stdout.split()) == listing(out)


def test_render_list_is_outputs(tmp_path):
    """The build system takes the file list from `render --list` at configure time and from `outputs` when the
    catalogue is broken: both must name, in the same order, exactly the files render writes."""
    r = gen("outputs", SMALL)
    out = tmp_path / "g"
    listed = gen("render", SMALL, "-o", str(out), "--list", "--no-warnings")
    assert (listed.returncode, listed.stderr) == (0, "")
    assert listed.stdout.split() == r.stdout.split()
    assert sorted(listed.stdout.split()) == listing(str(out))


def test_plan_packs_only_large_catalogues():
    """Group files: one per group (or per 64 subsystems of it) up to 64 files; beyond that, consecutive groups
    packed into at most 32 files that together hold every subsystem once, in catalogue order."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "gen"))
    from anima_gen.layout import plan
    small = [("a", 3), ("b", 130), ("c", 0)]
    assert [name for name, _ in plan(small)] == ["group_a", "group_b_0", "group_b_1", "group_b_2", "group_c"]
    big = [("g%d" % k, 20 + k % 50) for k in range(900)] + [("huge", 1000)]
    files = plan(big)
    assert 2 <= len(files) <= 32
    assert [name for name, _ in files] == ["group__pack_%d" % k for k in range(len(files))]
    covered = [(gi, j) for _, parts in files for gi, a, b in parts for j in range(a, b)]
    assert covered == [(gi, j) for gi, (_, size) in enumerate(big) for j in range(size)]


def test_schedule_agenda_runs_each_slot_at_its_ticks():
    """The agenda (render.schedule_agenda): over one cycle, the lcm of the periods above 1, a slot is due at
    exactly the ticks whose remainder by its period is its phase, in slot order; the slot run every tick is no
    part of it; periods whose cycle would make the agenda too large (7 and 86400) get none."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, "gen"))
    from anima_gen.render import schedule_agenda, AGENDA_MAX_WORDS
    slots = [{"every": e, "phase": p, "rings": []} for e, p in ((1, 0), (4, 1), (6, 1), (6, 5), (10, 0))]
    a = schedule_agenda(slots)
    assert a["cycle"] == 60 and a["runs"] == slots[1:]
    for t in range(a["cycle"]):
        due = a["slots"][a["at"][t]:a["at"][t + 1]]
        assert due == [k for k, s in enumerate(slots[1:]) if t % s["every"] == s["phase"]]
    assert a["at"][-1] == len(a["slots"]) == 15 + 10 + 10 + 6
    assert schedule_agenda([{"every": 7, "phase": 0, "rings": []}, {"every": 86400, "phase": 3, "rings": []}]) is None
    assert 86400 + 1 + 86400 // 7 > AGENDA_MAX_WORDS
    assert schedule_agenda(slots[:1]) is None  # every tick only: nothing to look up


def test_packed_catalogue_compiles_and_keeps_its_hash(tmp_path):
    """A synthetic catalogue large enough to be packed renders into group__pack_K.c files that compile, and
    anima-sim's catalogue hash (combined from the files' parts at run time) is the generator's."""
    import re
    import subprocess
    cat = tmp_path / "synth.yaml"
    r = gen("synth", 2700, "-o", cat)
    assert r.returncode == 0, r.stderr
    out, stamp = tmp_path / "g", tmp_path / "render.stamp"
    r = gen("render", cat, "-o", out, "--stamp", stamp, "--list", "--no-warnings")
    assert (r.returncode, r.stderr) == (0, "")
    names = r.stdout.split()
    assert any(n.startswith("group__pack_") for n in names) and not any(n.startswith("group_g") for n in names)
    assert sorted(names) == listing(str(out))
    exe = compile_sim(str(out), str(tmp_path / "anima-sim"), extra=["-O0"])
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30).stdout
    assert re.search(r"catalogue=([0-9a-f]{16})", version).group(1) == stamp.read_text().strip()
    info = subprocess.run([exe, "--catalogue-info"], capture_output=True, text=True, timeout=30).stdout
    assert "subsystems=2700 " in info


def test_stamp_and_failed_render_writes_nothing(tmp_path):
    out = tmp_path / "g"
    stamp = tmp_path / "render.stamp"
    r = gen("render", SMALL, "-o", str(out), "--stamp", str(stamp), "--no-warnings")
    assert (r.returncode, r.stderr) == (0, "")
    assert stamp.read_text().strip()
    bad = os.path.join(ROOT, "tests", "gen", "bad", "every_zero.yaml")
    out2, stamp2 = tmp_path / "h", tmp_path / "h.stamp"
    r = gen("render", bad, "-o", str(out2), "--stamp", str(stamp2))
    assert r.returncode == 1
    assert not out2.exists() and not stamp2.exists()


def test_every_tick_only_catalogue_compiles(tmp_path):
    """A catalogue whose subsystems all run every tick (no phase bookkeeping) compiles with -Werror, and
    conditions that are plain integers (select of constants under !, products under &&) do too."""
    p = tmp_path / "flat.yaml"
    p.write_text("""anima: 1
name: flat
stimuli:
  s: {range: [0, 1], doc: "s"}
groups:
  - name: g
    doc: G.
    subsystems:
      - name: a
        doc: A.
        state:
          v: {range: [-5, 5], init: 0, unit: u, doc: d}
          w: {range: [0, 1], init: 0, unit: u, doc: d}
        rules:
          v: "select(!select(w, -5, 7), v + 1, v - 1) + select(select(w, 1, 2), 1, 0)"
          w: "(v * v) && !(v * 2) || chance(500) * 0"
""")
    out = render(str(p), str(tmp_path / "gen"))
    compile_sim(out, str(tmp_path / "sim"))


def test_catalogue_without_stimuli_compiles(tmp_path):
    p = tmp_path / "nostim.yaml"
    p.write_text("""anima: 1
name: nostim
groups:
  - name: g
    doc: G.
    subsystems:
      - name: a
        doc: A.
        every: 3
        state:
          v: {range: [0, 9], init: 0, unit: u, doc: d}
        rules:
          v: "(v + 1) % 10"
""")
    out = render(str(p), str(tmp_path / "gen"))
    compile_sim(out, str(tmp_path / "sim"))
