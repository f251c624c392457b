"""Shared fixtures: reference cases from ../shared/reference (copied here) and
small helpers to build studies from config dictionaries."""
from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

from evaluation.config import Study, validate_config

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = FIXTURES / "reference"
REPO = Path(__file__).resolve().parents[1]


def make_study(spec: dict, study_id: str = "s", **analysis) -> Study:
    """A validated Study from one study's config dictionary."""
    cfg = validate_config({"studies": {study_id: copy.deepcopy(spec)}, "analysis": analysis})
    return Study.from_config(cfg, study_id)


def paired_reference_spec(path: str | Path) -> dict:
    """The config that reads shared/reference/paired/export.csv (its README)."""
    return {
        "title": "paired reference",
        "exports": [{"path": str(path)}],
        "columns": {"id": "id", "wave": "runde", "municipality": "kommune", "variant": "model"},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "instruments": {"x": {"items": ["x"], "range": [0, 100], "score": "sum"},
                        "y": {"items": ["y"], "range": [0, 25], "score": "sum"}},
        "outcomes": {"x": {"instrument": "x", "scale": "total", "better": "higher"},
                     "y": {"instrument": "y", "scale": "total", "better": "higher"}},
        "groupings": [["municipality"], ["variant"], ["municipality", "variant"]],
    }


@pytest.fixture
def paired_expected() -> pd.DataFrame:
    exp = pd.read_csv(REFERENCE / "paired" / "expected.csv")
    exp["grouping"] = exp["grouping"].replace(
        {"kommune": "municipality", "model": "variant", "kommune+model": "municipality+variant"})
    return exp


def run_snakemake(workdir: Path, *extra: str):
    """The workflow on a study folder, as a user runs it (CONTRACT section 1)."""
    import subprocess
    import sys

    snakemake = Path(sys.executable).parent / "snakemake"
    cmd = [str(snakemake), "--cores", "2", "--snakefile", str(REPO / "Snakefile"),
           "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), *extra]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600)


def simulated_demo(workdir: Path, seeds: tuple[int, int], scales: tuple[float, float]) -> Path:
    """A study folder with both demo studies simulated afresh (parents, foster families)
    at the given seeds and sizes, and the demo config."""
    import shutil

    from evaluation import simulate

    simulate.write_parents(workdir / "data" / "raw", seed=seeds[0], scale=scales[0])
    simulate.write_fosterfamilies(workdir / "data" / "raw", seed=seeds[1], scale=scales[1])
    shutil.copy(REPO / "config" / "config.yaml", workdir / "config.yaml")
    return workdir


@pytest.fixture(scope="session")
def small_study(tmp_path_factory) -> Path:
    """Both demo studies at 40 % size (so that some cells are suppressed), run once."""
    workdir = simulated_demo(tmp_path_factory.mktemp("study"), seeds=(11, 12), scales=(0.4, 0.4))
    proc = run_snakemake(workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Path:
    """The demo studies exactly as shipped, run once in a copy of data/raw."""
    import shutil

    workdir = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "data" / "raw", workdir / "data" / "raw")
    shutil.copy(REPO / "config" / "config.yaml", workdir / "config.yaml")
    proc = run_snakemake(workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return workdir


def run_stages(study: Study, root: Path, stages=("ingest", "score", "analyse", "tables", "report", "publish")) -> Path:
    """Every stage of one study, without Snakemake, with the workflow's file names under ``root``."""
    from evaluation.stages import (analysis_names, person_tables, publication_files, published_tables, run_stage,
                                   write_settings)

    p = root / "data" / "processed" / study.id
    pub = p / "publication"
    analyses = [p / f"{name}.csv" for name in analysis_names()]
    persons = [p / f"{name}_persons.parquet" for name in person_tables()]
    tables = [pub / path for path in published_tables()]
    files = {
        "ingest": ({}, {"responses": p / "responses.parquet", "flow": p / "flow.csv",
                        "issues": p / "data_issues.csv", "inputs": p / "inputs.json",
                        "people": p / "people.parquet", "costs": p / "cost_items.parquet",
                        "fidelity": p / "fidelity.parquet"}),
        "score": ({"responses": p / "responses.parquet"},
                  {"scores": p / "scores.parquet", "counts": p / "scoring_counts.csv"}),
        "analyse": ({"scores": p / "scores.parquet", "responses": p / "responses.parquet", "flow": p / "flow.csv",
                     "people": p / "people.parquet", "costs": p / "cost_items.parquet",
                     "fidelity": p / "fidelity.parquet"},
                    {"analyses": analyses, "persons": persons, "pairs": p / "pairs.parquet",
                     "validity": p / "validity.parquet", "band_pairs": p / "band_pairs.parquet"}),
        "reproduce": ({"pairs": p / "pairs.parquet"}, {"kit": p / "reproduce"}),
        "tables": ({"analyses": analyses, "persons": persons, "flow": p / "flow.csv", "people": p / "people.parquet",
                    "issues": p / "data_issues.csv", "scores": p / "scores.parquet",
                    "validity": p / "validity.parquet", "band_pairs": p / "band_pairs.parquet"},
                   {"tables": tables, "disclosure": p / "disclosure.json"}),
        "report": ({"publication": pub, "disclosure": p / "disclosure.json", "counts": p / "scoring_counts.csv",
                    "inputs": p / "inputs.json"},
                   {"figures": pub / "figures", "html": pub / "report.html", "docx": pub / "report.docx",
                    "xlsx": pub / "tables.xlsx"}),
        "publish": ([str(pub / name) for name in publication_files()], [str(root / "reports" / f".{study.id}.published")]),
    }
    write_settings(study, p / "settings.json")
    for stage in stages:
        inputs, outputs = files[stage]
        run_stage(stage, study, inputs, outputs, str(root / "logs" / study.id / f"{stage}.log"))
    return root / "reports" / study.id


def study_people(processed, study):
    """people.parquet with the study's baseline-band groups (known after scoring)."""
    from evaluation import measures

    people = pd.read_parquet(processed / "people.parquet")
    return measures.with_baseline_bands(people, pd.read_parquet(processed / "scores.parquet"), study)
