#!/usr/bin/python3
"""The plot of docs/experiments.md: free-running sleep in constant darkness, from an anima-sweep CSV.

  docs/experiments/free_run.py tau.csv docs/img/free-run.png

Left: sleep onset (hours after midnight of day 0, minus 24 h per night) of each night of one seed, per bare
period. Right: the free-running period (the slope of a straight line through the onsets of nights 1..9, in
hours per night; mean and standard deviation over the seeds) against the pacemaker's bare period, 10^7 /
circadian.step minutes. Reads only the sweep's columns: the nights come from core/summary.c.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def onsets(row):
    out = []
    for n in range(1, 10):
        v = row.get("nights.%d.onset" % n)
        if v is not None and not pd.isna(v):
            out.append((n, v / 3600.0))
    return out


def main(csv, png):
    d = pd.read_csv(csv)
    d = d[d["error"].isna()]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    bare, mean, sd = [], [], []
    for step, g in d.groupby("circadian.step"):
        period = 1e7 / step / 60.0
        slopes = []
        for _, row in g.iterrows():
            pts = onsets(row)
            n = np.array([p[0] for p in pts])
            h = np.array([p[1] for p in pts])
            slopes.append(np.polyfit(n, h, 1)[0])
            if row["seed"] == g["seed"].min():
                left.plot(n, h - 24 * n, marker="o", label="bare period %.2f h" % period)
        bare.append(period)
        mean.append(np.mean(slopes))
        sd.append(np.std(slopes))
    left.set_xlabel("night")
    left.set_ylabel("sleep onset - 24 h x night (h after midnight)")
    left.set_title("Sleep onset in constant darkness (seed %d)" % d["seed"].min())
    left.legend(fontsize=8)
    left.grid(True, alpha=0.3)
    right.errorbar(bare, mean, yerr=sd, marker="o", capsize=3, label="measured (mean, sd over %d seeds)"
                   % d["seed"].nunique())
    lo, hi = min(bare) - 0.2, max(bare) + 0.2
    right.plot([lo, hi], [lo, hi], color="grey", linestyle="--", linewidth=0.8, label="equal")
    right.set_xlabel("pacemaker's bare period (h)")
    right.set_ylabel("free-running sleep period (h)")
    right.set_title("Free-running period")
    right.legend(fontsize=8)
    right.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    for b, m, s in zip(bare, mean, sd):
        print("bare %.2f h: free-running %.2f +- %.2f h" % (b, m, s))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: free_run.py SWEEP.csv OUT.png")
    main(sys.argv[1], sys.argv[2])
