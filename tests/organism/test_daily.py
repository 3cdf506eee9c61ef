"""Phenomena 1-8: the day-night organisation of an undisturbed organism (default env, lights 07:00-23:00),
checked on seeds 1..10 for the nights that begin on the evenings of days 1, 2 and 3 (from the second night on)."""
import pytest

from organism import DAY, HOUR, MINUTE, SEEDS, Night, hm, mean, prefetch, run

NIGHTS = (1, 2, 3)
TICKS = 4 * DAY + 14 * HOUR


def normal(seed):
    return run(seed, TICKS, 60)


def nights(seed):
    tr = normal(seed)
    out = []
    for d in NIGHTS:
        n = Night(tr, d)
        assert n.onset is not None, "seed %d: no sleep in the night after day %d" % (seed, d)
        out.append(n)
    return tr, out


@pytest.fixture(scope="module", autouse=True)
def _runs():
    prefetch(lambda seed: (normal(seed), dim_evenings(seed)))


@pytest.mark.parametrize("seed", SEEDS)
def test_1_circadian_period_entrained(seed):
    tr = normal(seed)
    ph = tr["circadian.phase"]
    wraps = [tr.tick[i] for i in range(1, len(ph)) if ph[i - 1] >= 900 and ph[i] <= 100 and tr.tick[i] >= DAY]
    assert len(wraps) >= 3, wraps
    for a, b in zip(wraps, wraps[1:]):
        assert 23.75 <= (b - a) / HOUR <= 24.25, "seed %d: cycle of %.2f h" % (seed, (b - a) / HOUR)


@pytest.mark.parametrize("seed", SEEDS)
def test_2_one_main_sleep_a_night(seed):
    tr, ns = nights(seed)
    for n in ns:
        what = "seed %d night %d: %s-%s, %.2f h asleep" % (seed, n.day, hm(n.clock(n.onset)), hm(n.clock(n.offset)), n.asleep / HOUR)
        assert 6.5 <= n.asleep / HOUR <= 9.0, what
        assert 21.5 <= n.clock(n.onset) <= 25.0, what
        assert 29.5 <= n.clock(n.offset) <= 32.5, what
        assert n.outside <= 60 * MINUTE, what + ", %d min of other sleep" % (n.outside // 60)


@pytest.mark.parametrize("seed", SEEDS)
def test_3_nrem_rem_cycles(seed):
    tr, ns = nights(seed)
    for n in ns:
        starts = [a for a, b in n.rem_episodes]
        gaps = [(b - a) / MINUTE for a, b in zip(starts, starts[1:])]
        what = "seed %d night %d: %d REM episodes, gaps %s min" % (seed, n.day, len(starts), [round(g) for g in gaps])
        assert 4 <= len(starts) <= 6, what
        assert all(70 <= g <= 120 for g in gaps), what


def dim_evenings(seed):
    """The normal run with dim light (250, about 10 lux) from 17:00 until lights off, as melatonin onset is
    measured (dim-light melatonin onset, Lewy & Sack 1989): bright evening light suppresses it (Gooley 2011)."""
    stim = []
    for d in range(5):
        stim += ["%d:light=250" % (d * DAY + 17 * HOUR), "%d:light=auto" % (d * DAY + 23 * HOUR)]
    tr = run(seed, TICKS, 60, stimuli=stim)
    return tr, [Night(tr, d) for d in NIGHTS]


@pytest.mark.parametrize("seed", SEEDS)
def test_4_melatonin(seed):
    tr, ns = dim_evenings(seed)
    for n in ns:
        assert n.onset is not None, "seed %d: no sleep in the night after day %d" % (seed, n.day)
        _, day = tr.window("melatonin.level", n.day * DAY + 10 * HOUR, n.day * DAY + 18 * HOUR)
        base = mean(day)
        _, night = tr.window("melatonin.level", n.onset, n.offset)
        assert mean(night) >= 3 * base, "seed %d night %d: night %.0f day %.0f" % (seed, n.day, mean(night), base)
        ticks, vals = tr.window("melatonin.level", n.day * DAY + 14 * HOUR, n.offset)
        thr = base + 0.25 * (max(vals) - base)
        rise = next(t for t, v in zip(ticks, vals) if v > thr)
        lead = (n.onset - rise) / HOUR
        assert 0.75 <= lead <= 3.5, "seed %d night %d: melatonin rises %.2f h before sleep" % (seed, n.day, lead)


@pytest.mark.parametrize("seed", SEEDS)
def test_5_cortisol_awakening_response(seed):
    tr, ns = nights(seed)
    for n in ns:
        _, night = tr.window("cortisol.level", n.day * DAY + 18 * HOUR, n.offset)
        nadir = min(night)
        ticks, vals = tr.window("cortisol.level", n.offset, n.offset + 2 * HOUR)
        i = max(range(len(vals)), key=lambda k: vals[k])
        delay = (ticks[i] - n.offset) / MINUTE
        what = "seed %d night %d: peak %d at +%.0f min, nadir %d" % (seed, n.day, vals[i], delay, nadir)
        assert 15 <= delay <= 75, what
        assert vals[i] >= 1.5 * nadir, what


@pytest.mark.parametrize("seed", SEEDS)
def test_6_core_temperature(seed):
    tr, ns = nights(seed)
    for n in ns:
        ticks, vals = tr.window("body.temp", n.day * DAY + 18 * HOUR, n.offset)
        tmin = ticks[min(range(len(vals)), key=lambda k: vals[k])]
        before = (n.offset - tmin) / HOUR
        assert 1.0 <= before <= 4.0, "seed %d night %d: minimum %.2f h before waking" % (seed, n.day, before)
        _, day = tr.window("body.temp", n.day * DAY + 12 * HOUR, (n.day + 1) * DAY + 12 * HOUR)
        amp = max(day) - min(day)
        assert 30 <= amp <= 150, "seed %d night %d: amplitude %d" % (seed, n.day, amp)


@pytest.mark.parametrize("seed", SEEDS)
def test_7_heart_rate(seed):
    tr, ns = nights(seed)
    for n in ns:
        _, hr = tr.window("heart.rate", n.day * DAY + 18 * HOUR, n.offset)
        _, st = tr.window("sleep.stage", n.day * DAY + 18 * HOUR, n.offset)
        n3 = [h for h, s in zip(hr, st) if s == 3]
        _, hr_d = tr.window("heart.rate", n.day * DAY + 8 * HOUR, n.day * DAY + 20 * HOUR)
        _, st_d = tr.window("sleep.stage", n.day * DAY + 8 * HOUR, n.day * DAY + 20 * HOUR)
        wake = mean(h for h, s in zip(hr_d, st_d) if s == 0)
        assert n3, "seed %d night %d: no N3" % (seed, n.day)
        assert 55 <= wake <= 100, "seed %d: waking mean %.1f" % (seed, wake)
        assert mean(n3) <= 0.9 * wake, "seed %d night %d: N3 %.1f wake %.1f" % (seed, n.day, mean(n3), wake)


BANDS = ["eeg.delta", "eeg.theta", "eeg.alpha", "eeg.beta", "eeg.gamma"]


@pytest.mark.parametrize("seed", SEEDS)
def test_8_eeg(seed):
    tr = normal(seed)
    i0 = tr.index(DAY + 18 * HOUR)
    st = tr["sleep.stage"]
    top = lambda i: max(BANDS, key=lambda b: tr[b][i])
    n3 = [i for i in range(i0, len(st)) if st[i] == 3]
    wake = [i for i in range(i0, len(st)) if st[i] == 0]
    assert n3 and wake
    f3 = mean(top(i) == "eeg.delta" for i in n3)
    fw = mean(top(i) in ("eeg.alpha", "eeg.beta") for i in wake)
    assert f3 >= 0.8, "seed %d: delta tops %.2f of N3" % (seed, f3)
    assert fw >= 0.8, "seed %d: alpha or beta tops %.2f of wake" % (seed, fw)


def test_state_variables_move():
    tr = run(1, 3 * DAY, 60, columns=None)
    names = tr.header[1:]
    moving = [c for c in names if len(set(tr[c])) > 1]
    assert len(moving) >= 0.9 * len(names), sorted(set(names) - set(moving))
