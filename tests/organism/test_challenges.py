"""Phenomena 9-11: infection, acute stress and starvation, on seeds 1..10."""
import pytest

from organism import DAY, HOUR, MINUTE, SEEDS, mean, prefetch, run

INFECT = 2 * DAY + 12 * HOUR
STRESS = 2 * DAY + 15 * HOUR
STARVE = DAY + 8 * HOUR


def infected(seed):
    return run(seed, INFECT + 9 * DAY, 60, stimuli=["%d:infection=600" % INFECT])


def stressed(seed):
    return run(seed, STRESS + 4 * HOUR, 10, stimuli=["%d:stress=800" % STRESS])


def starved(seed):
    return run(seed, STARVE + 120 * DAY, 600, stimuli=["%d:food_supply=0" % STARVE])


@pytest.fixture(scope="module", autouse=True)
def _runs():
    prefetch(lambda seed: (infected(seed), stressed(seed), starved(seed)))


@pytest.mark.parametrize("seed", SEEDS)
def test_9_infection_fever_clearance_survival(seed):
    t = INFECT
    tr = infected(seed)
    assert not tr.died(), "seed %d: %s" % (seed, tr.end())
    assert tr["life.alive"][-1] == 1
    _, now = tr.window("body.temp", t, t + DAY)
    _, before = tr.window("body.temp", t - DAY, t)
    fever = max(a - b for a, b in zip(now, before))
    assert fever >= 100, "seed %d: fever only +%d" % (seed, fever)
    ticks, load = tr.window("immune.pathogen", t, t + 9 * DAY)
    peak = max(load)
    _, after = tr.window("immune.pathogen", t + 7 * DAY, t + 9 * DAY)
    assert peak > 0 and max(after) < 0.05 * peak, "seed %d: peak %d, %d after 7 days" % (seed, peak, max(after))


@pytest.mark.parametrize("seed", SEEDS)
def test_10_acute_stress(seed):
    t = STRESS
    tr = stressed(seed)
    _, cb = tr.window("cortisol.level", t - 30 * MINUTE, t)
    _, hb = tr.window("heart.rate", t - 30 * MINUTE, t)
    base, hr0 = mean(cb), mean(hb)
    _, c30 = tr.window("cortisol.level", t, t + 30 * MINUTE + 1)
    assert max(c30) >= 1.5 * base, "seed %d: cortisol %d from %.0f" % (seed, max(c30), base)
    ticks, c3h = tr.window("cortisol.level", t, t + 3 * HOUR + 1)
    peak = c3h.index(max(c3h))
    assert min(c3h[peak:]) <= 1.1 * base, "seed %d: cortisol still %d (baseline %.0f) at 3 h" % (seed, min(c3h[peak:]), base)
    _, h5 = tr.window("heart.rate", t, t + 5 * MINUTE + 1)
    assert max(h5) >= hr0 + 15, "seed %d: heart rate %d from %.1f" % (seed, max(h5), hr0)


@pytest.mark.parametrize("seed", SEEDS)
def test_11_starvation(seed):
    t = STARVE
    tr = starved(seed)
    _, g = tr.window("metabolism.glucose", t, t + 2 * DAY)
    assert min(g) >= 60, "seed %d: glucose fell to %d within 48 h of fasting" % (seed, min(g))
    assert tr.died(), "seed %d: still alive after 120 days without food" % seed
    end = int(tr.end().split("end tick=")[1].split()[0])
    days = (end - t) / DAY
    assert 20 <= days <= 90, "seed %d: died after %.1f days" % (seed, days)
    assert any("starvation" in c for c in tr.comments), tr.comments[-3:]
