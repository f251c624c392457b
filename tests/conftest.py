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
