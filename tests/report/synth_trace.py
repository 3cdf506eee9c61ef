"""A small generator of plausible Anima traces whose sleep, temperature and cortisol are known exactly.

Three days (ticks 0 .. 259200, one row every 60 s). The hypnogram is laid out from explicit segments
(stage, minutes); the expected per-night numbers in test_report.py are worked out by hand from them.
"""

import math

DAY = 86400
H = 3600
M = 60

WAKE, N1, N2, N3, REM = 0, 1, 2, 3, 4

# Night d-1/d0: asleep from tick 0 (the trace begins asleep) to 07:00 of day 0.
NIGHT_M1 = [(N2, 60), (N3, 60), (N2, 60), (REM, 30), (N2, 90), (REM, 20), (N2, 60), (N1, 40)]  # 420 min
# Night d0/d1: 23:00 day 0 -> 07:00 day 1, five cycles, a 10-minute awakening after the second.
CYCLE1 = [(N1, 5), (N2, 20), (N3, 40), (N2, 15), (REM, 10)]  # 90
CYCLE2 = [(N2, 25), (N3, 30), (N2, 15), (REM, 20)]           # 90
CYCLE3 = [(N1, 5), (N2, 40), (N3, 15), (N2, 10), (REM, 25)]  # 95
CYCLE4 = [(N2, 50), (N3, 5), (N2, 10), (REM, 30)]            # 95
CYCLE5 = [(N2, 60), (REM, 35)]                               # 95
NIGHT_0 = CYCLE1 + CYCLE2 + [(WAKE, 10)] + CYCLE3 + CYCLE4 + CYCLE5 + [(N1, 5)]  # 480 min
# Night d1/d2: 23:30 day 1; three cycles to 04:05, awake 60 min (longer than the wake gap), one more cycle
# 05:05 -> 06:40. The main sleep is the first part.
NIGHT_1A = CYCLE1 + CYCLE2 + CYCLE3  # 275 min
NIGHT_1B = CYCLE4                    # 95 min
# Night d2/d3: 22:45 day 2, still asleep when the trace ends at 24:00 (75 min).
NIGHT_2 = CYCLE1

SCHEDULE = [  # (start tick, segments)
    (0, NIGHT_M1),
    (15 * H, [(N1, 5), (N2, 20)]),            # a nap on day 0 at 15:00 (25 min)
    (23 * H, NIGHT_0),
    (DAY + 14 * H, [(N1, 5), (N2, 25)]),      # a nap on day 1 at 14:00 (30 min)
    (DAY + 23 * H + 30 * M, NIGHT_1A),
    (2 * DAY + 5 * H + 5 * M, NIGHT_1B),
    (2 * DAY + 22 * H + 45 * M, NIGHT_2),
]

# Temperature minimum on day d at 04:30 + 10 min * d; cortisol peak on day d at 07:45 + 5 min * d.
def tmin_tick(d):
    return d * DAY + 4 * H + 30 * M + 10 * M * d


def cpeak_tick(d):
    return d * DAY + 7 * H + 45 * M + 5 * M * d


TEMP_MIN = 250   # 36.50 C
CORT_PEAK = 800


def stage_at(ticks):
    stage = {t: WAKE for t in ticks}
    for start, segs in SCHEDULE:
        t = start
        for s, minutes in segs:
            for k in range(minutes):
                if t + k * M in stage:
                    stage[t + k * M] = s
            t += minutes * M
    return stage


def _dist_to(t, centres):
    return min(abs(t - c) for c in centres)


def make_rows(days=3, every=60, columns=None):
    ticks = list(range(0, days * DAY, every))
    stage = stage_at(ticks)
    tmins = [tmin_tick(d) for d in range(-1, days + 1)]
    cpeaks = [cpeak_tick(d) for d in range(-1, days + 1)]
    rows = []
    for t in ticks:
        s = stage[t]
        hod = (t % DAY) / H
        light = 1000 if 7 <= hod < 23 else 0
        dmin = _dist_to(t, tmins) // M
        temp = TEMP_MIN + dmin // 10 + (1 if dmin else 0)
        dcort = _dist_to(t, cpeaks) // M
        cort = CORT_PEAK - dcort // 2 - (1 if dcort else 0)
        cort = max(cort, 50)
        mel = int(450 + 450 * math.cos(2 * math.pi * (hod - 3) / 24))
        asleep = s != WAKE
        row = {
            "tick": t,
            "env.light": light,
            "circadian.phase": (t * 1000 // DAY) % 1000,
            "sleep.stage": s,
            "sleep.pressure": int(500 + 300 * math.sin(2 * math.pi * (hod - 15) / 24)),
            "melatonin.level": mel,
            "cortisol.level": cort,
            "body.temp": temp,
            "heart.rate": 55 + (s == REM) * 8 if asleep else 72,
            "eeg.delta": {WAKE: 100, N1: 250, N2: 450, N3: 850, REM: 150}[s],
            "eeg.theta": {WAKE: 150, N1: 500, N2: 300, N3: 200, REM: 550}[s],
            "eeg.alpha": {WAKE: 600, N1: 250, N2: 150, N3: 80, REM: 200}[s],
            "eeg.beta": {WAKE: 500, N1: 200, N2: 120, N3: 60, REM: 350}[s],
            "eeg.gamma": {WAKE: 300, N1: 100, N2: 60, N3: 30, REM: 250}[s],
            "metabolism.glucose": 90 + int(30 * max(0.0, math.cos(2 * math.pi * (hod - 13) / 6))),
            "metabolism.reserve": 700 - (t // H) % 24 * 3,
            "drive.hunger": (t // 60) % 300,
            "immune.pathogen": 0 if t < DAY else max(0, 400 - (t - DAY) // 300),
            "immune.inflammation": 50 if t < DAY else max(50, 300 - (t - DAY) // 400),
            "affect.valence": 500 + (50 if asleep else 100),
            "affect.arousal": 100 if asleep else 600,
            "life.health": 1000 - t // 8640,
            "life.alive": 1,
            "mortality.awareness": t // 4320,
            "consciousness.pci": {WAKE: 600, N1: 520, N2: 300, N3: 250, REM: 540}[s],
            "extra.unknown_column": -t % 7,
        }
        rows.append(row)
    if columns is not None:
        rows = [{k: r[k] for k in columns} for r in rows]
    return rows


def trace_text(days=3, every=60, columns=None, newline="\n"):
    rows = make_rows(days, every, columns)
    cols = list(rows[0].keys())
    out = ["# anima-sim synthetic seed=1 ticks=%d every=%d" % (days * DAY, every), ",".join(cols)]
    events = {DAY + 8 * H: "# event tick=%d stimulus meal=600" % (DAY + 8 * H),
              DAY + 9 * H: "# event tick=%d stimulus infection=400" % (DAY + 9 * H)}
    for r in rows:
        out.append(",".join(str(r[c]) for c in cols))
        if r["tick"] in events:
            out.append(events[r["tick"]])
        if r["tick"] % DAY == 12 * H:
            out.append("# status: noon")  # an event without its own tick
    out.append("# anima: end tick=%d reason=ticks" % (days * DAY))
    return newline.join(out) + newline


def com1_log(days=3, every=60):
    """What a capture of COM1 looks like: firmware noise with escapes and CRs, then the trace in CRLF."""
    noise = ("\x1b[2J\x1b[01;01H\x1b[=3h\x1b[2J\x1b[01;01HBdsDxe: loading Boot0001 \"UEFI QEMU HARDDISK\" "
             "from PciRoot(0x0)/Pci(0x1F,0x2)/Sata(0x0,0xFFFF,0x0)\r\n"
             "BdsDxe: starting Boot0001 \"UEFI QEMU HARDDISK\"\r\n"
             "\x1b[0m\x1b[37m\x1b[40manima: seed 1 (fixed)\r\n"
             "tock, not a header\r\n"
             "# anima: boot services exited\r\n")
    return noise + trace_text(days, every, newline="\r\n")
