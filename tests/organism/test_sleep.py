"""Sleep architecture as the brain makes it, on seeds 1-10 (the nights of test_daily's run, shared through the
run cache): awakenings within sleep that come out of REM and light NREM, never out of deep NREM; REM periods
that lengthen across the night; N3 in the first half; bright light that holds wake; and heart, vessels and
breathing that follow the brain state instead of the scored stage."""
import os

import pytest
import yaml

from organism import DAY, HOUR, MINUTE, SEEDS, Night, hm, run
from test_daily import NIGHTS, TICKS, nights

CATALOGUE = os.environ.get("ANIMA_CATALOGUE", os.path.join(os.path.dirname(__file__), "..", "..", "subsystems.yaml"))


def in_sleep(n):
    """(tick, stage) of the samples within the night's main sleep."""
    return [(t, s) for t, s in zip(n.ticks, n.stage) if n.onset <= t < n.offset]


@pytest.mark.parametrize("seed", SEEDS)
def test_awakenings_within_sleep(seed):
    """People wake briefly several times a night (WASO 10-30 min, Ohayon et al. 2004), out of REM and light
    NREM, where the arousal threshold is low (Åkerstedt et al. 2002); the model's awakenings are bursts of the
    arousal systems whose hazard follows that threshold, so a night without any, or awakenings out of N3, would
    mean the mechanism is gone."""
    _, ns = nights(seed)
    count = 0
    for n in ns:
        st = in_sleep(n)
        wake = [i for i in range(1, len(st)) if st[i][1] == 0 and st[i - 1][1] != 0]
        count += len(wake)
        waso = sum(1 for t, s in st if s == 0) * n.tr.every / MINUTE
        what = "seed %d night %d: %d awakenings, %.0f min awake after sleep onset" % (seed, n.day, len(wake), waso)
        assert waso <= 90, what
        deep = [hm(n.clock(st[i][0])) for i in wake if st[i - 1][1] == 3]
        assert len(deep) <= 1, what + "; straight out of N3 at %s" % deep
    assert count >= len(ns), "seed %d: %d awakenings in %d nights" % (seed, count, len(ns))


@pytest.mark.parametrize("seed", SEEDS)
def test_rem_lengthens_and_n3_comes_first(seed):
    """REM periods lengthen from about 10 min in the first cycle to 20-40 min in the last, and slow-wave sleep
    fills the first cycles (Carskadon & Dement 2011; Dijk 2009): both follow from sleep pressure dissipating."""
    _, ns = nights(seed)
    for n in ns:
        rem = [(b - a) / MINUTE for a, b in n.rem_episodes]
        what = "seed %d night %d: REM periods %s min" % (seed, n.day, [round(r) for r in rem])
        assert rem and rem[0] <= 15, what
        assert max(rem[1:] or [0]) >= rem[0] + 10, what
        st = in_sleep(n)
        half = n.onset + (n.offset - n.onset) // 2
        n3 = [t for t, s in st if s == 3]
        assert n3 and sum(1 for t in n3 if t < half) >= 0.7 * len(n3), "seed %d night %d: N3 not in the first half" % (seed, n.day)


@pytest.mark.parametrize("seed", SEEDS)
def test_bright_light_holds_wake(seed):
    """Light alerts through the arousal systems (orexin): with daylight kept on from lights out (23:00) to 01:00
    sleep does not begin before the control's, and not in the first 10 minutes of the light for anyone who
    was awake at 23:00; back in darkness it begins within an hour."""
    ctl = Night(run(seed, TICKS, 60), 1)
    lit = Night(run(seed, 2 * DAY + 6 * HOUR, 60, stimuli=["%d:light=1000" % (DAY + 23 * HOUR),
                                                          "%d:light=auto" % (2 * DAY + HOUR)]), 1)
    what = "seed %d: onset %s with the light on until 01:00, %s in the control" % (seed, hm(lit.clock(lit.onset)), hm(ctl.clock(ctl.onset)))
    assert lit.onset >= ctl.onset, what
    if ctl.clock(ctl.onset) >= 23.0:
        assert lit.clock(lit.onset) >= 23.0 + 10 / 60, what
    assert lit.clock(lit.onset) <= 26.0, what


def test_autonomic_and_breathing_read_the_brain_not_the_stage():
    """Heart, vessels, breathing and the arousal threshold follow their physiological drivers (sympathetic and
    vagal drive from the brain state, NREM depth, the wakefulness drive to breathe, muscle tone), not the
    scorer's label: no subsystem of the autonomic and respiration groups, nor the arousal machinery, reads
    sleep.stage."""
    cat = yaml.safe_load(open(CATALOGUE))
    readers = []
    for g in cat["groups"]:
        for s in g["subsystems"]:
            if g["name"] in ("autonomic", "respiration") or s["name"] in ("arousalthr", "arousal", "vlpo", "remon", "remoff"):
                for name, inp in (s.get("inputs") or {}).items():
                    if inp.get("from") == "sleep.stage":
                        readers.append("%s.%s" % (s["name"], name))
    assert not readers, "read the scored stage: %s" % readers
