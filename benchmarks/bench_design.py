"""Speed of the design analyses against the paired engine, measured in the same run.

Simulated pairs: N people (children in families of 1-3) x 4 outcomes, 98
municipalities x 2 variants, groupings all / municipality / variant /
municipality+variant (1 + 98 + 2 + 196 = 297 cells per outcome), 15 % lost to
follow-up. Timed: the results-table engine (``stats.results_table``, the baseline)
and each design analysis's ``compute`` (group comparison, clustered change, mixed
model, attrition, reliable change) on the same pairs, each the best of two runs. The
goal (issue 11): all five together within 5 times the engine at 10^5 people (smaller
studies pay a fixed cost per cell that the engine, vectorised over cells, does not).

    python benchmarks/bench_design.py [--sizes 10000 100000]
"""
from __future__ import annotations

import argparse
import gc
import time

import numpy as np
import pandas as pd

from evaluation import analyses
from evaluation.analyses import attrition, clustered_change, group_comparison, mixed_model, reliable_change
from evaluation.config import Study, validate_config
from evaluation.stats import results_table

OUTCOMES = ["competence", "stress", "satisfaction", "difficulties"]
MODULES = [group_comparison, clustered_change, mixed_model, attrition, reliable_change]


def study() -> Study:
    item = {"items": ["x"], "range": [0, 100], "score": "sum"}
    spec = {
        "title": "benchmark", "exports": [{"path": "x.csv"}],
        "columns": {"id": "id", "wave": "wave", "family": "family"},
        "waves": {"pre": ["pre"], "post": ["post"]},
        "groups": {"municipality": {"column": "kommune"},
                   "variant": {"column": "model", "expected": ["individuel", "gruppe"]}},
        "compare": {"variant": {"adjust": ["municipality"]}},
        "instruments": {"x": item},
        "outcomes": {o: {"instrument": "x", "scale": "total", "better": "higher", "reliability": 0.8,
                         "clinical_cutoff": 45} for o in OUTCOMES},
        "groupings": [["municipality"], ["variant"], ["municipality", "variant"]],
    }
    return Study.from_config(validate_config({"studies": {"bench": spec}}), "bench")


def simulate_pairs(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    families = max(1, int(n / 1.5))
    family = np.sort(np.r_[np.arange(families), rng.integers(0, families, n - families)])[:n]
    muni = np.array([f"Kommune {i:02d}" for i in range(98)])[rng.integers(0, 98, families)][family]
    variant = np.array(["individuel", "gruppe"])[rng.integers(0, 2, families)][family]
    family_effect = rng.normal(0, 3, families)[family]
    frames = []
    for k, outcome in enumerate(OUTCOMES):
        pre = np.round(rng.normal(50, 10, n))
        post = np.round(pre + rng.normal(0.3 * k, 8, n) + family_effect + 1.5 * (variant == "gruppe"))
        post[rng.random(n) < 0.15] = np.nan
        frames.append(pd.DataFrame({"outcome": outcome, "from_wave": "pre", "to_wave": "post",
                                    "pid": [f"p{i}" for i in range(n)], "pre": pre, "post": post,
                                    "municipality": muni, "variant": variant,
                                    "family": [f"f{f}" for f in family]}))
    return pd.concat(frames, ignore_index=True)


def timed(func, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    s = study()
    for n in args.sizes:
        pairs = simulate_pairs(n)
        data = analyses.Data(pairs=pairs)
        engine = timed(lambda: results_table(pairs, s.groupings), repeat=2)
        times = {m.NAME: timed(lambda m=m: m.compute(data, s), repeat=2) for m in MODULES}
        total = sum(times.values())
        print(f"N = {n:,} people x {len(OUTCOMES)} outcomes x 297 cells")
        print(f"  paired engine (baseline):  {engine:7.2f} s")
        for name, t in times.items():
            print(f"  {name:24s} {t:7.2f} s  ({t / engine:5.1f} x the engine)")
        print(f"  design analyses together:  {total:7.2f} s  = {total / engine:.1f} x the engine (goal at 10^5: < 5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
