"""The notebook API: the same numbers as the workflow, arguments checked at the boundary."""
from __future__ import annotations

import pandas as pd
import pytest

import evaluation as ev
from conftest import REPO


def test_notebook_api_gives_the_workflows_results(demo_run, monkeypatch):
    monkeypatch.setenv("EVALUATION_ID_KEY", "notebook")
    study = ev.load_study(REPO / "config" / "config.yaml", "parents", root=demo_run)
    results = ev.analyse(study)
    workflow = pd.read_csv(demo_run / "data/processed/parents/results.csv")
    cols = ["outcome", "grouping", "group", "n", "diff_mean", "p_t_adj", "d_z"]
    pd.testing.assert_frame_equal(results[cols].reset_index(drop=True), workflow[cols], check_dtype=False)


def test_unknown_study_is_named(demo_run):
    with pytest.raises(ValueError, match="has no study 'parent'; it has: parents, fosterfamilies"):
        ev.load_study(REPO / "config" / "config.yaml", "parent")


@pytest.mark.parametrize("kwargs, message", [
    ({"ci_level": 95}, r"ci_level must be a proportion between 0 and 1, e.g. 0.95, not 95 \(did you mean 0.95\?\)"),
    ({"correction": "sidak"}, "unknown correction 'sidak'"),
    ({"min_n": 0}, "min_n must be a whole number of at least 1, not 0"),
    ({"min_n": 2.5}, "min_n must be a whole number"),
])
def test_bad_arguments_are_errors_with_a_message(kwargs, message):
    from evaluation.stats import results_table

    pairs = pd.DataFrame({"outcome": "o", "pid": ["a", "b"], "pre": [1.0, 2.0], "post": [2.0, 4.0]})
    with pytest.raises(ValueError, match=message):
        results_table(pairs, [[]], **kwargs)


def test_pairs_without_the_grouped_column_is_explained():
    from evaluation.stats import results_table

    pairs = pd.DataFrame({"outcome": "o", "pid": ["a"], "pre": [1.0], "post": [2.0]})
    with pytest.raises(ValueError, match="pairs lacks the column"):
        results_table(pairs, [[], ["sex"]])
