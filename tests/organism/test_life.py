"""A whole life: two simulated years of a fed organism keep its body (seeds 1-5), and individuals differ.

The lifespans themselves (death of old age at 70-95 years, about 2e9 ticks each) are measured by
`tools/lifespans`, not here."""
import pytest

from organism import DAY, SEEDS, mean, prefetch, run

YEARS2 = 730 * DAY


@pytest.fixture(scope="module", autouse=True)
def _runs():
    prefetch(lambda seed: run(seed, YEARS2, 86400), [1, 2, 3, 4, 5])


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_two_years_weight_stable(seed):
    """Fat and body protein stay within 10 % of their day-30 values for two years (intake matches expenditure),
    and the organism is alive and healthy at the end."""
    tr = run(seed, YEARS2, 86400)
    fat, protein = tr["adipose.fat"], tr["muscle.protein"]
    f30, p30 = fat[30], protein[30]
    for day in range(30, len(fat)):
        assert abs(fat[day] - f30) <= 0.1 * f30, "seed %d day %d: fat %d, %d at day 30" % (seed, day, fat[day], f30)
        assert abs(protein[day] - p30) <= 0.1 * p30, "seed %d day %d: protein %d, %d at day 30" % (seed, day, protein[day], p30)
    assert not tr.died(), tr.end()
    assert tr["life.health"][-1] >= 900


def test_seed_and_individual():
    """By default a seed is its own individual (--seed 7 is --seed 7 --individual 7, row for row); the same seed
    with another individual is another person, and the same individual with another seed another run."""
    own = run(7, 2 * DAY, 600)
    same = run(7, 2 * DAY, 600, extra=("--individual", "7"))
    other = run(7, 2 * DAY, 600, extra=("--individual", "8"))
    noise = run(8, 2 * DAY, 600, extra=("--individual", "7"))
    cols = ("heart.rate", "metabolism.glucose", "circadian.acc", "cortisol.level")
    assert all(own[c] == same[c] for c in cols)
    assert any(own[c] != other[c] for c in cols)
    assert any(own[c] != noise[c] for c in cols)


def cv(xs):
    m = mean(xs)
    return (sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) ** 0.5 / abs(m)


def test_individuals_differ():
    """Over seeds 1-10 (each its own individual) fever and waking glucose differ as people do, by a coefficient
    of variation of at least 3 % (the issue's 10-30 % is the aim; docs/validation.md gives the figures)."""
    fevers, glucose = [], []
    for seed in SEEDS:
        t = 2 * DAY + 12 * 3600
        inf = run(seed, t + 9 * DAY, 60, stimuli=["%d:infection=600" % t])
        ctl = run(seed, 4 * DAY + 14 * 3600, 60)
        _, now = inf.window("body.temp", t, t + DAY)
        _, before = inf.window("body.temp", t - DAY, t)
        fevers.append(max(a - b for a, b in zip(now, before)))
        glucose.append(mean(ctl.window("metabolism.glucose", 2 * DAY + 6 * 3600, 2 * DAY + 7 * 3600)[1]))
    assert cv(fevers) >= 0.03, fevers
    assert cv(glucose) >= 0.03, glucose


ENERGY = "intestine.absorb,expenditure.rate,adipose.fat,muscle.protein,liver.glycogen,muscle.glycogen,metabolism.gmass"


def energy_balance(tr, d0, d1):
    """(absorbed, spent, stored change) in kcal/day from day d0 to d1 of a trace with a row every minute: what
    the gut absorbed and the organism spent against the change of fat, body protein (4 kcal/g), glycogen and
    plasma glucose (4 kcal/g)."""
    i0, i1 = tr.index(d0 * DAY), tr.index(d1 * DAY)
    days = d1 - d0
    absorbed = sum(tr["intestine.absorb"][i0:i1]) / days
    spent = sum(tr["expenditure.rate"][i0:i1]) / 100 / days

    def stored(i):
        return (tr["adipose.fat"][i] / 100 + tr["muscle.protein"][i] / 10 * 4
                + (tr["liver.glycogen"][i] + tr["muscle.glycogen"][i] + tr["metabolism.gmass"][i]) / 1000 * 4)
    return absorbed, spent, (stored(i1) - stored(i0)) / days


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_energy_conserved(seed):
    """Energy is conserved: over days 20-40 of a fed life the stored energy changes by what was absorbed minus
    what was spent, within 2 % of the intake; over ten days of a total fast, within 5 % of the expenditure (the
    rest is integer rounding). New glucose is paid by the store it is made from (protein, fat) or is recycled
    lactate; before, gluconeogenesis created about 9 % of the intake, and 300 kcal a day in a fast."""
    absorbed, spent, change = energy_balance(run(seed, 40 * DAY, 60, columns=ENERGY), 20, 40)
    assert abs(change - (absorbed - spent)) <= 0.02 * absorbed, \
        "seed %d fed: absorbed %.0f, spent %.0f kcal/day, stores %+.0f" % (seed, absorbed, spent, change)
    fast = run(seed, 12 * DAY, 60, columns=ENERGY, stimuli=["%d:food_supply=0" % (DAY + 12 * 3600)])
    absorbed, spent, change = energy_balance(fast, 2, 12)
    assert absorbed == 0
    assert abs(change + spent) <= 0.05 * spent, "seed %d fasting: spent %.0f kcal/day, stores %+.0f" % (seed, spent, change)
