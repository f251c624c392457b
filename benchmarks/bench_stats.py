"""Speed and peak memory of the results-table engine against a per-cell loop.

Simulated pairs: N people x 4 outcomes, 98 municipalities x 2 variants, groupings
all / municipality / variant / municipality+variant (1 + 98 + 2 + 196 cells per
outcome). Two baselines, measured in the same run: the floor, one numpy pass over
the pairs (differences, and their count, sum and sum of squares per finest cell;
goal of issue 14: the engine within 3 times it at 10^6 people), and what one would
write by hand: a loop over the cells calling ``pingouin.ttest(paired=True)`` and
``scipy.stats.wilcoxon`` (R's conventions). Peak memory of the engine is traced
with tracemalloc (NumPy registers its buffers there) and compared with the size
of the pairs table it reads.

    python benchmarks/bench_stats.py [--sizes 10000 100000 1000000]
"""
from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd

from evaluation.stats import results_table

GROUPINGS = [[], ["municipality"], ["variant"], ["municipality", "variant"]]
OUTCOMES = ["competence", "stress", "satisfaction", "difficulties"]


def simulate_pairs(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    muni = pd.Categorical.from_codes(rng.integers(0, 98, n), [f"Kommune {i:02d}" for i in range(98)])
    variant = pd.Categorical.from_codes(rng.integers(0, 2, n), ["gruppe", "individuel"])
    frames = []
    for k, outcome in enumerate(OUTCOMES):
        pre = np.round(rng.normal(50, 10, n))
        post = np.round(pre + rng.normal(0.3 * k, 8, n))
        post[rng.random(n) < 0.15] = np.nan  # lost to follow-up
        frames.append(pd.DataFrame({"outcome": outcome, "pid": np.arange(n), "pre": pre, "post": post,
                                    "municipality": muni, "variant": variant}))
    pairs = pd.concat(frames, ignore_index=True)
    pairs["outcome"] = pairs["outcome"].astype("category")
    return pairs


def per_cell_loop(pairs: pd.DataFrame) -> int:
    """The hand-written baseline: one pingouin t-test and one scipy Wilcoxon per cell."""
    import pingouin
    from scipy import stats

    cells = 0
    for grouping in GROUPINGS:
        keys = ["outcome", *grouping]
        for _, cell in pairs.groupby(keys, observed=True):
            cell = cell.dropna(subset=["pre", "post"])
            if len(cell) < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pingouin.ttest(cell["post"], cell["pre"], paired=True)
                d = cell["post"].to_numpy() - cell["pre"].to_numpy()
                if np.any(d != 0):
                    stats.wilcoxon(d, zero_method="wilcox", correction=True, method="auto")
            cells += 1
    return cells


def numpy_pass(pairs: pd.DataFrame) -> None:
    """The floor: one numpy pass over the pairs, the least any engine does: the
    differences, and their count, sum and sum of squares in every finest cell
    (outcome x municipality x variant) by one bincount each."""
    pre, post = pairs["pre"].to_numpy(), pairs["post"].to_numpy()
    d = post - pre
    ok = ~np.isnan(d)
    cell = ((pairs["outcome"].cat.codes.to_numpy().astype(np.int64) * 98
             + pairs["municipality"].cat.codes.to_numpy()) * 2 + pairs["variant"].cat.codes.to_numpy())[ok]
    size = 4 * 98 * 2
    np.bincount(cell, minlength=size)
    np.bincount(cell, d[ok], minlength=size)
    np.bincount(cell, d[ok] ** 2, minlength=size)


def timed(func, *args, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = parser.parse_args()
    results_table(simulate_pairs(1000), GROUPINGS)  # warm-up: imports, lookup tables
    print(f"{'pairs':>9} {'rows':>9} {'cells':>6} {'engine s':>9} {'pass s':>7} {'/pass':>6} {'loop s':>8} "
          f"{'speed-up':>9} {'table MB':>9} {'peak MB':>8} {'peak/table':>10}")
    for n in args.sizes:
        pairs = simulate_pairs(n)
        table_mb = pairs.memory_usage(deep=True).sum() / 2**20
        engine = timed(results_table, pairs, GROUPINGS, repeat=3 if n <= 100_000 else 1)
        tracemalloc.start()
        out = results_table(pairs, GROUPINGS)
        peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        floor = timed(numpy_pass, pairs, repeat=3)
        loop = timed(per_cell_loop, pairs)
        print(f"{n:>9,} {len(pairs):>9,} {len(out):>6} {engine:>9.2f} {floor:>7.3f} {engine / floor:>5.1f}x "
              f"{loop:>8.2f} {loop / engine:>8.1f}x {table_mb:>9.1f} {peak_mb:>8.1f} {peak_mb / table_mb:>9.2f}x",
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
