"""Calibration of the published intervals and tests in simulated studies.

Simulates ``--studies`` studies (default 2,000) under the null (no change, no
difference) and under a known effect, runs the statistics the results, group
comparison and clustered change tables publish, and prints per statistic the share
of 95 % intervals that hold the true value (coverage, under the effect) and the
share of tests with p < 0.05 under the null (type-I error), each with its
Monte-Carlo standard error sqrt(p(1 - p)/R). Goals (issue 14): coverage within
[94 %, 96 %] and type-I error within [4 %, 6 %].

    python benchmarks/bench_calibration.py [--studies 2000] [--seed 14]

Each statistic is simulated under the model it assumes (an interval that ignores
clustering is not expected to hold under clustering: that is what CR2 is for):

- paired change (mean difference, paired t, Wilcoxon signed-rank, d_z): 40 people,
  independent, pre ~ N(50, 10), post = pre + delta + e with e ~ N(0, 8); the true d_z
  is delta / 8.
- group comparison (ANCOVA adjusted for the baseline; Welch on the change): two
  randomised levels of 30 people, post = 20 + 0.6 pre + Delta level + e, e ~ N(0, 8).
- clustered (families as clusters): 40 families of 1-3 people, the level assigned
  per family, a family effect u ~ N(0, 5) shared by its members' change. The ANCOVA
  coefficient with CR2 (clubSandwich's small-sample correction, Satterthwaite df),
  and the clustered change (``lm(change ~ 1)`` with CR2).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from evaluation.stats.comparison import compare_codes
from evaluation.stats.models import intercept_cr2
from evaluation.stats.paired import paired_statistics

LEVEL = 0.95
DELTA = 3.0  # mean change under the effect (points)
SD_CHANGE = 8.0
GROUP_EFFECT = 4.0  # difference between the levels under the effect (points)
GOAL_COVERAGE = (0.94, 0.96)
GOAL_TYPE_I = (0.04, 0.06)


def paired(rng: np.random.Generator, studies: int, delta: float, n: int = 40) -> dict[str, np.ndarray]:
    """Every study's paired statistics at once (one cell per study)."""
    pre = rng.normal(50, 10, (studies, n))
    post = pre + delta + rng.normal(0, SD_CHANGE, (studies, n))
    codes = np.repeat(np.arange(studies), n)
    out = paired_statistics(pre.ravel(), post.ravel(), codes, studies, LEVEL)
    return {c: out[c].to_numpy(dtype=float) for c in out.columns}


def compared(rng: np.random.Generator, studies: int, effect: float, n: int = 30) -> dict[str, np.ndarray]:
    """ANCOVA and Welch of each study's two randomised levels."""
    level = np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]
    rows = []
    for _ in range(studies):
        pre = rng.normal(50, 10, 2 * n)
        post = 20 + 0.6 * pre + effect * level + rng.normal(0, SD_CHANGE, 2 * n)
        rows.append(compare_codes(pre, post, level, 2, ci_level=LEVEL)[0])
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}


def clustered(rng: np.random.Generator, studies: int, delta: float, effect: float,
              families: int = 40) -> dict[str, np.ndarray]:
    """CR2 of each study: the ANCOVA coefficient of a level assigned per family, and
    the mean change with families as clusters."""
    rows = []
    for _ in range(studies):
        size = rng.integers(1, 4, families)
        family = np.repeat(np.arange(families), size)
        level = np.repeat(rng.permutation(np.arange(families) % 2), size)
        pre = rng.normal(50, 10, len(family))
        change = delta + effect * level + rng.normal(0, 5, families)[family] + rng.normal(0, SD_CHANGE, len(family))
        post = pre + change
        row = compare_codes(pre, post, level, 2, clusters=family, ci_level=LEVEL)[0]
        reference = level == 0  # the clustered change of the reference level: its mean change is delta
        sizes = np.bincount(family[reference])
        totals = np.bincount(family[reference], weights=change[reference])
        kept = sizes > 0
        cr2 = intercept_cr2(sizes[kept], totals[kept], LEVEL)
        row.update({f"change_cr2_{k}": v for k, v in cr2.items()})
        rows.append(row)
    return {k: np.array([r[k] for r in rows], dtype=float) for k in rows[0]}


def share(hits: np.ndarray) -> tuple[float, float]:
    """A share and its Monte-Carlo standard error."""
    hits = hits[~np.isnan(hits)]
    p = float(hits.mean())
    return p, float(np.sqrt(p * (1 - p) / len(hits)))


def covered(low: np.ndarray, high: np.ndarray, truth: float) -> np.ndarray:
    out = ((low <= truth) & (truth <= high)).astype(float)
    out[np.isnan(low) | np.isnan(high)] = np.nan
    return out


def rejected(p: np.ndarray) -> np.ndarray:
    out = (p < 1 - LEVEL).astype(float)
    out[np.isnan(p)] = np.nan
    return out


def calibrate(studies: int, seed: int) -> list[dict]:
    """One row per statistic: its interval's coverage under the effect and its test's
    type-I error under the null (None where the statistic has no interval or test)."""
    rng = np.random.default_rng(seed)
    null_p, effect_p = paired(rng, studies, 0.0), paired(rng, studies, DELTA)
    null_g, effect_g = compared(rng, studies, 0.0), compared(rng, studies, GROUP_EFFECT)
    null_c, effect_c = clustered(rng, studies, 0.0, 0.0), clustered(rng, studies, DELTA, GROUP_EFFECT)
    rows = [
        ("mean difference (paired t)", "diff", effect_p, null_p, "p_t", DELTA),
        ("d_z (noncentral t)", "d_z", effect_p, None, None, DELTA / SD_CHANGE),
        ("Wilcoxon signed-rank", None, None, null_p, "p_wilcoxon", None),
        ("group comparison: ANCOVA", "ancova", effect_g, null_g, "ancova_p", GROUP_EFFECT),
        ("group comparison: Welch on the change", "welch", effect_g, null_g, "welch_p", GROUP_EFFECT),
        ("group comparison: ANCOVA, CR2 (families)", "ancova_cr2", effect_c, null_c, "ancova_cr2_p", GROUP_EFFECT),
        ("clustered change: CR2 (families)", "change_cr2", effect_c, null_c, "change_cr2_p", DELTA),
    ]
    out = []
    for name, interval, effect, null, test, truth in rows:
        row = {"statistic": name, "truth": truth, "coverage": None, "type_i": None}
        if interval is not None:
            low, high = (effect[f"{interval}_ci_low"], effect[f"{interval}_ci_high"])
            row["coverage"] = share(covered(low, high, truth))
        if test is not None:
            row["type_i"] = share(rejected(null[test]))
        out.append(row)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--studies", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    start = time.perf_counter()
    rows = calibrate(args.studies, args.seed)
    print(f"{args.studies} simulated studies per scenario (seed {args.seed}); "
          f"goals: coverage {GOAL_COVERAGE[0]:.0%}-{GOAL_COVERAGE[1]:.0%}, "
          f"type-I error {GOAL_TYPE_I[0]:.0%}-{GOAL_TYPE_I[1]:.0%}")
    print(f"{'statistic':44} {'truth':>7} {'coverage (MC SE)':>18} {'type-I (MC SE)':>16}")
    outside = []
    for r in rows:
        cells = []
        for key, (lo, hi) in (("coverage", GOAL_COVERAGE), ("type_i", GOAL_TYPE_I)):
            if r[key] is None:
                cells.append("—")
                continue
            p, se = r[key]
            mark = "" if lo <= p <= hi else " !"
            if mark:
                outside.append(f"{r['statistic']} ({key.replace('_', '-')} {p:.1%})")
            cells.append(f"{p:6.1%} ({se:.1%}){mark}")
        truth = "" if r["truth"] is None else f"{r['truth']:.3g}"
        print(f"{r['statistic']:44} {truth:>7} {cells[0]:>18} {cells[1]:>16}")
    print(f"outside the goals: {'; '.join(outside) if outside else 'none'} "
          f"({time.perf_counter() - start:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
