"""--summary and --summarize (core/summary.c): the keys docs/options.md documents, the same numbers from a run and from its
trace, and the streaming computation against a plain one over the whole trace (written here independently)."""
import json

import pytest

from conftest import rows, run

DAY, NOON = 86400, 43200
NIGHT_KEYS = {"onset", "wake", "duration_min", "n1_min", "n2_min", "n3_min", "rem_min", "cycles"}


def summary(sim, tmp_path, *args):
    out = tmp_path / "s.json"
    trace = tmp_path / "t.csv"
    r = run(sim, "--trace", trace, "--summary", out, *args)
    assert r.returncode == 0, r.stderr
    return json.loads(out.read_text()), trace


def plain_nights(trace_text, gap=1800, rem_merge=900, min_nrem=900):
    """Sleep episodes and noon-to-noon nights over the whole trace at once (docs/options.md, Summary)."""
    lines = rows(trace_text)
    cols = lines[0].split(",")
    data = [list(map(int, l.split(","))) for l in lines[1:]]
    ticks = [d[0] for d in data]
    stage = [d[cols.index("sleep.stage")] for d in data]
    temp = [d[cols.index("body.temp")] for d in data]
    step = ticks[1] - ticks[0]
    dur = [b - a for a, b in zip(ticks, ticks[1:])] + [step]
    asleep = [1 <= s <= 4 for s in stage]
    episodes = []  # [first index, index after the last sleep sample]
    for i, a in enumerate(asleep):
        if a and (i == 0 or not asleep[i - 1]):
            if not (episodes and ticks[i] - ticks[episodes[-1][1]] <= gap):
                episodes.append([i, i])
        if a:
            episodes[-1][1] = i + 1
    out = {}
    for a, b in episodes:
        onset = ticks[a]
        wake = ticks[b] if b < len(ticks) else ticks[-1] + step
        secs = {s: sum(dur[k] for k in range(a, b) if stage[k] == s) for s in (1, 2, 3, 4)}
        cycles, nrem, last_end = 0, 0, None
        for k in range(a, b):
            if stage[k] == 4:
                if not (last_end is not None and ticks[k] - last_end < rem_merge) and nrem >= min_nrem:
                    cycles += 1
                nrem, last_end = 0, ticks[k] + dur[k]
            elif 1 <= stage[k] <= 3:
                nrem += dur[k]
        night = (onset - NOON) // DAY
        ep = {"onset": onset, "wake": wake, "duration_min": round((wake - onset) / 60), "cycles": cycles,
              "n1_min": secs[1] // 60, "n2_min": secs[2] // 60, "n3_min": secs[3] // 60, "rem_min": secs[4] // 60}
        if night not in out or ep["wake"] - ep["onset"] > out[night]["wake"] - out[night]["onset"]:
            out[night] = ep
    for night, ep in out.items():
        window = [k for k, t in enumerate(ticks) if night * DAY + NOON <= t < (night + 1) * DAY + NOON]
        k = min(window, key=lambda k: (temp[k], k))
        ep["temp_min"], ep["temp_min_tick"] = temp[k], ticks[k]
    return out


@pytest.mark.parametrize("args", [
    ["--seed", 1, "--ticks", 3 * DAY, "--stimulus", "216000:infection=600"],
    ["--seed", 12, "--ticks", 2 * DAY, "--every", 300, "--env", "dark"],
    ["--seed", 17, "--ticks", 2 * DAY + 5000, "--stimulus", "100000:keep_awake=600", "--columns", "env.*"],
], ids=["infection", "dark-every300", "keep-awake-columns"])
def test_summary_matches_a_plain_computation_and_its_own_trace(sim, tmp_path, args):
    s, trace = summary(sim, tmp_path, *args)
    assert {"seed", "individual", "ticks", "end", "death", "nights", "days"} <= set(s)
    assert s["end"] == "ticks" and s["death"] is None and s["ticks"] == int(args[3])
    full = run(sim, *[a for i, a in enumerate(args) if a != "--columns" and (i == 0 or args[i - 1] != "--columns")])
    plain = plain_nights(full.stdout)
    got = {n["night"]: n for n in s["nights"] if n["onset"] is not None}
    assert set(got) == set(plain)
    for night, ep in plain.items():
        for key, value in ep.items():
            assert got[night][key] == value, (night, key)
        assert NIGHT_KEYS <= set(got[night])
    # days: plain means of the samples of each calendar day
    lines = rows(full.stdout)
    cols = lines[0].split(",")
    data = [list(map(int, l.split(","))) for l in lines[1:]]
    for d in s["days"]:
        day = [r for r in data if r[0] // DAY == d["day"]]
        assert d["samples"] == len(day)
        for name in ("body.temp", "cortisol.level", "heart.rate"):
            assert d[name] == pytest.approx(sum(r[cols.index(name)] for r in day) / len(day), abs=0.006)
    if "--columns" not in args:  # the trace holds every observable: --summarize finds the same numbers
        r = run(sim, "--summarize", trace)
        assert r.returncode == 0, r.stderr
        again = json.loads(r.stdout)
        assert again["nights"] == s["nights"] and again["days"] == s["days"]
        assert again["seed"] is None and again["end"] == "ticks"


def test_summarize_a_com1_style_log_with_death(sim, tmp_path):
    whole = run(sim, "--seed", 5, "--ticks", 20000).stdout.splitlines()
    log = ["\x1b[2J\x1b[01;01HBdsDxe: starting Boot0001", "# anima: seed=5", "# anima: boot services exited"]
    log += [l + "\r" for l in whole if not l.startswith("# anima: end")]
    log += ["# anima: death tick=19980 cause=starvation", "# anima: end tick=19980 reason=death", "19980,1,2"]
    path = tmp_path / "com1.log"
    path.write_text("\n".join(log))  # the last row cut off, without its line end
    r = run(sim, "--summarize", path)
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["seed"] == 5 and s["end"] == "death" and s["death"] == {"tick": 19980, "cause": "starvation"}
    assert s["end_tick"] == 19980 and s["days"][0]["samples"] == 20000 // 60 + 1


@pytest.mark.parametrize("text,message", [
    ("hello\n", "not a trace (no header line starting with 'tick,')"),
    ("tick,a.b\n0,1\n60,x\n120,3\n", ":3: not a row of 2 integers"),
])
def test_summarize_refuses_what_is_not_a_trace(sim, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    r = run(sim, "--summarize", path)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("anima-sim: --summarize %s" % path) and message in r.stderr


def test_summary_of_a_resumed_run_starts_at_the_checkpoint(sim, tmp_path):
    ck = tmp_path / "ck"
    assert run(sim, "--ticks", DAY, "--save", ck, "--trace", tmp_path / "a.csv").returncode == 0
    s, _ = summary(sim, tmp_path, "--resume", ck, "--ticks", DAY)
    assert s["start_tick"] == DAY and s["end_tick"] == 2 * DAY and s["ticks"] == DAY
    assert [d["day"] for d in s["days"]] == [1, 2]
