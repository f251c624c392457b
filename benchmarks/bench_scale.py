"""The whole pipeline on generated studies of growing size, against a floor measured
in the same run, with peak memory.

A study of N respondents answering 4 questionnaires (PSOC 16 items, WHO-5, PSS 18
items, SDQ 25 items) before and after, in 98 municipalities x 2 variants, children
in families of 1-3, 15 % lost to follow-up: one long CSV export (``--split``: one per
questionnaire, the documented layout in which every person is in four exports of a
wave and ingest merges their rows). Timed: a cold ``snakemake --cores 2`` run of the
workflow on it (ingest to publish), and the floor: a fresh Python that reads the same
exports with pandas and makes one numpy pass over their answers (interpreter and
imports included, as a run pays them too). Peak memory is the largest resident set
of any process of the run.

    python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--big] [--split]

``--big`` adds 10^6 respondents. Goals (issue 14): 10^5 within 10 times the floor,
10^6 under 2 minutes and 3 GB, the split layout at 10^5 under 30 s. A second table
gives each job's own seconds, from the "done in" line that ends its log.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
ITEMS = {"psoc": (16, 1, 6), "who5": (5, 0, 5), "pss": (18, 1, 5), "sdq": (25, 0, 2)}
BUILTIN = {"psoc": "psoc", "who5": "who5", "pss": "pss", "sdq": "sdq_parent"}
SCALE = {"psoc": "total", "who5": "total", "pss": "total", "sdq": "total_difficulties"}
BETTER = {"psoc": "higher", "who5": "higher", "pss": "lower", "sdq": "lower"}


def columns(instrument: str) -> list[str]:
    return [f"{instrument}_{k:02d}" for k in range(1, ITEMS[instrument][0] + 1)]


def export(n: int, path: Path, seed: int = 1, split: bool = False) -> list[Path]:
    """One long CSV: a row per respondent and wave; with ``split``, one such CSV per
    questionnaire (``<stem>_<instrument>.csv``, each with the id, wave and group
    columns), so that every person is in four exports of each wave. Returns the files."""
    rng = np.random.default_rng(seed)
    families = max(1, int(n / 1.5))
    family = np.sort(np.r_[np.arange(families), rng.integers(0, families, n - families)])[:n]
    municipality = np.array([f"Kommune {i:02d}" for i in range(98)])[rng.integers(0, 98, families)][family]
    variant = np.array(["individuel", "gruppe"])[rng.integers(0, 2, families)][family]
    stays = rng.random(n) >= 0.15
    frames = []
    for wave, who in (("før", np.ones(n, dtype=bool)), ("efter", stays)):
        frame = {"id": np.char.add("R", np.arange(n).astype(str))[who], "runde": wave,
                 "kommune": municipality[who], "model": variant[who],
                 "familie": np.char.add("F", family.astype(str))[who]}
        shift = 0.0 if wave == "før" else 0.3
        for instrument, (k, lo, hi) in ITEMS.items():
            theta = rng.normal(shift, 1, who.sum())
            centre = (lo + hi) / 2
            for name in columns(instrument):
                frame[name] = np.clip(np.round(centre + theta * (hi - lo) / 4 + rng.normal(0, 0.8, who.sum())),
                                      lo, hi).astype(int)
        frames.append(pd.DataFrame(frame))
    table = pd.concat(frames, ignore_index=True)
    if not split:
        table.to_csv(path, index=False, sep=";")
        return [path]
    keys = ["id", "runde", "kommune", "model", "familie"]
    paths = []
    for instrument in ITEMS:
        part = path.with_name(f"{path.stem}_{instrument}.csv")
        table[[*keys, *columns(instrument)]].to_csv(part, index=False, sep=";")
        paths.append(part)
    return paths


def config(paths: list[Path]) -> dict:
    study = {
        "title": {"da": "Skala", "en": "Scale"}, "language": "da",
        "exports": [{"path": str(p)} for p in paths],
        "columns": {"id": "id", "wave": "runde", "family": "familie"},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "groups": {"municipality": {"column": "kommune"},
                   "variant": {"column": "model", "expected": ["individuel", "gruppe"]}},
        "compare": {"variant": {"adjust": ["municipality"]}},
        "instruments": {i: {"builtin": BUILTIN[i], "items": columns(i)} for i in ITEMS},
        "outcomes": {i: {"instrument": i, "scale": SCALE[i], "better": BETTER[i], "reliability": 0.8}
                     for i in ITEMS},
        "groupings": [["municipality"], ["variant"], ["municipality", "variant"]],
    }
    return {"studies": {"scale": study}}


FLOOR = """
import sys
import numpy as np
import pandas as pd
for path in sys.argv[1:]:
    frame = pd.read_csv(path, sep=";")
    np.nansum(frame.select_dtypes("number").to_numpy(dtype=float), axis=0)
"""


def floor(paths: list[Path]) -> float:
    """A fresh Python that reads the exports with pandas and makes one numpy pass over
    their answers (the least any pipeline over them costs: it starts and reads too)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR, *map(str, paths)], check=True)
    return time.perf_counter() - start


def pipeline(work: Path) -> tuple[float, float]:
    """Wall time of a cold run, and the peak resident set (GB) of its processes."""
    for name in ("data/processed", "reports", "logs", ".snakemake"):
        shutil.rmtree(work / name, ignore_errors=True)
    # run through a small Python parent of its own: its children's peak is this run's alone
    watcher = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", watcher, SNAKEMAKE, "--cores", "2", "--quiet", "--snakefile",
                           str(REPO / "Snakefile"), "--directory", str(work), "--configfile",
                           str(work / "config.yaml")], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the pipeline failed:\n{proc.stderr[-3000:]}")
    peak_kb = int(proc.stderr.strip().splitlines()[-1])
    return elapsed, peak_kb / 1024 ** 2


STAGES = ("ingest", "score", "analyse", "reproduce", "tables", "report", "publish")


def stage_seconds(work: Path) -> dict[str, float]:
    """Each job's own time in the run just made, as its log ends: "<stage> done in 2.19 s"."""
    out = {}
    for stage in STAGES:
        log = work / "logs" / "scale" / f"{stage}.log"
        found = re.findall(rf"{stage} done in ([0-9.]+) s", log.read_text(encoding="utf-8")) if log.exists() else []
        out[stage] = float(found[-1]) if found else float("nan")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--big", action="store_true", help="also 10^6 respondents")
    parser.add_argument("--split", action="store_true",
                        help="one export per questionnaire (every person in four exports of each wave)")
    args = parser.parse_args()
    sizes = args.sizes + ([1_000_000] if args.big else [])
    print(f"{'respondents':>12} {'rows':>9} {'floor s':>8} {'run s':>8} {'ratio':>7} {'peak GB':>8}")
    jobs = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            work = Path(tmp) / f"n{n}"
            (work / "data").mkdir(parents=True)
            paths = export(n, work / "data" / "export.csv", split=args.split)
            (work / "config.yaml").write_text(yaml.safe_dump(config(paths), allow_unicode=True, sort_keys=False), encoding="utf-8")
            base = min(floor(paths) for _ in range(3))  # the least of three: one can be slowed by anything
            run, peak = pipeline(work)
            rows = sum(sum(1 for _ in p.open(encoding="utf-8")) - 1 for p in paths)
            print(f"{n:>12} {rows:>9} {base:>8.2f} {run:>8.2f} {run / base:>7.1f} {peak:>8.2f}", flush=True)
            jobs[n] = stage_seconds(work)
    # where the time went: each job's own seconds (the R kit runs beside the tables stage)
    print(f"\n{'seconds per job':>15}" + "".join(f" {stage:>9}" for stage in STAGES))
    for n, seconds in jobs.items():
        print(f"{n:>15}" + "".join(f" {seconds[stage]:>9.2f}" for stage in STAGES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
