"""Wall time of a cold `snakemake --cores 2` run on the demo studies, against a floor.

The floor, measured in the same run: a one-rule Snakemake workflow whose job
imports the analysis stack once (pandas, scipy.stats, statsmodels, matplotlib).
That is the least any Snakemake pipeline over this stack can cost; the goal is a
full cold run of both demo studies within 2.5 times it.

    python benchmarks/bench_workflow.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
FLOOR_SNAKEFILE = """
rule all:
    output: "done.txt"
    shell: "{python} -c 'import pandas, scipy.stats, statsmodels.api, matplotlib' && touch {{output}}"
"""


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def floor_run(tmp: Path) -> float:
    work = tmp / "floor"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / "Snakefile").write_text(FLOOR_SNAKEFILE.format(python=sys.executable))
    return timed([SNAKEMAKE, "--cores", "2", "--quiet"], work)


def pipeline_run(tmp: Path) -> float:
    work = tmp / "study"
    shutil.rmtree(work, ignore_errors=True)
    (work / "data").mkdir(parents=True)
    shutil.copytree(REPO / "data" / "raw", work / "data" / "raw")
    shutil.copy(REPO / "config" / "config.yaml", work / "config.yaml")
    return timed([SNAKEMAKE, "--cores", "2", "--quiet", "--snakefile", str(REPO / "Snakefile"),
                  "--directory", str(work), "--configfile", str(work / "config.yaml")], work)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    floors, runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):  # interleaved, so that machine load hits both alike
            floors.append(floor_run(Path(tmp)))
            runs.append(pipeline_run(Path(tmp)))
    floor, run = statistics.median(floors), statistics.median(runs)
    print(f"floor (one-rule workflow + import of the analysis stack): median {floor:.2f} s "
          f"of {', '.join(f'{x:.2f}' for x in floors)}")
    print(f"cold run, both demo studies (snakemake --cores 2):        median {run:.2f} s "
          f"of {', '.join(f'{x:.2f}' for x in runs)}")
    print(f"ratio: {run / floor:.2f} x the floor (goal: at most 2.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
