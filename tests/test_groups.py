"""Subgroups of any kind, include filters and missing-answer codes (CONTRACT v2 section 2),
against shared/reference/waves.

The reference has three waves; until contrasts beyond the first pair are built, its
first contrast (foer -> efter) is checked exactly: the export without its follow-up
rows is the same study for that contrast, because a child's group values and include
conditions are the same in every row (the reference README says so).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REFERENCE, make_study
from evaluation.ingest import InvalidInputError, ingest_study
from evaluation.instruments import score_responses
from evaluation.stats import RESULT_COLUMNS, complete_pairs, results_table

WAVES = REFERENCE / "waves"
NUMERIC = [c for c in RESULT_COLUMNS if c not in ("outcome", "from_wave", "to_wave", "grouping", "group",
                                                  "suppressed")]


def first_contrast_spec(tmp_path) -> dict:
    export = pd.read_csv(WAVES / "export.csv", dtype=str, keep_default_na=False)
    export[export["runde"] != "opfølgning"].to_csv(tmp_path / "export.csv", index=False)
    spec = yaml.safe_load((WAVES / "config.yaml").read_text(encoding="utf-8"))["studies"]["waves"]
    spec["exports"] = [{"path": str(tmp_path / "export.csv")}]
    spec["waves"] = {"pre": ["før"], "post": ["efter"]}
    del spec["contrasts"]
    return spec


@pytest.fixture(scope="module")
def first_contrast(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("waves")
    study = make_study(first_contrast_spec(tmp), study_id="waves")
    ingested = ingest_study(study, b"k")
    scores = score_responses(ingested.responses, study.instruments, ["pid", "wave", *study.group_columns])
    pairs = complete_pairs(scores, study.outcomes, study.group_columns)
    results = results_table(pairs, study.groupings, ci_level=0.95, correction="holm", min_n=5)
    return study, ingested, results


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    exp = pd.read_csv(WAVES / "expected.csv")
    return exp[(exp["from_wave"] == "foer") & (exp["to_wave"] == "efter")].reset_index(drop=True)


def test_every_cell_of_the_first_contrast_is_present(first_contrast, expected):
    _, _, results = first_contrast
    assert set(zip(results.outcome, results.grouping, results.group)) == \
        set(zip(expected.outcome, expected.grouping, expected.group))
    assert {"kommune+koen", "alder"} <= set(results.grouping)
    assert set(results.loc[results.grouping == "alder", "group"]) == {"under 10", "10-13", "14 og derover"}


@pytest.mark.parametrize("column", NUMERIC)
def test_first_contrast_equals_r(first_contrast, expected, column):
    _, _, results = first_contrast
    m = expected.merge(results, on=["outcome", "grouping", "group"], suffixes=("_r", "_py"))
    assert len(m) == len(expected) == 45
    want, got = m[f"{column}_r"].astype(float).to_numpy(), m[f"{column}_py"].astype(float).to_numpy()
    close = np.isclose(got, want, rtol=1e-6, atol=0) | (np.isnan(got) & np.isnan(want))
    assert close.all(), m.loc[~close, ["outcome", "grouping", "group", f"{column}_r", f"{column}_py"]]


def test_small_cells_are_flagged_as_r(first_contrast, expected):
    _, _, results = first_contrast
    m = expected.merge(results, on=["outcome", "grouping", "group"])
    assert (m["suppressed"] == m["suppressed_primary"]).all()


def test_include_leaves_out_every_row_of_a_child(first_contrast):
    _, ingested, _ = first_contrast
    flow = ingested.flow
    left_out = flow[flow["status"] == "not_included"]
    assert left_out["pid"].nunique() == 20  # 17 by age, 3 without consent (one only in efter/opfølgning)
    assert not set(left_out["pid"]) & set(flow.loc[flow["status"] == "answered", "pid"])
    assert set(left_out["pid"]) == set(ingested.people.loc[~ingested.people["included"], "pid"])


def test_ved_ikke_is_missing_and_counted_not_invalid(first_contrast):
    _, ingested, _ = first_contrast
    assert ingested.issues.empty
    notes = " ".join(ingested.notes)
    assert "given as a missing-answer code" in notes
    # the reference counts 28 answers "Ved ikke" over all waves; the follow-up rows are gone here
    counts = pd.read_csv(WAVES / "expected_flow_counts.csv").set_index("what")
    assert 0 < ingested.missing_codes["who"] <= counts.loc["ved_ikke_all", "answers"]


def test_without_the_code_ved_ikke_is_invalid(tmp_path):
    spec = first_contrast_spec(tmp_path)
    del spec["missing"]
    with pytest.raises(InvalidInputError, match="value 'Ved ikke' — not a valid answer for who"):
        ingest_study(make_study(spec, study_id="waves"), b"k")


def test_an_instruments_own_missing_replaces_the_studys(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id;runde;k1;k2\nA;før;9;2\nA;efter;3;Ved ikke\n", encoding="utf-8")
    spec = {"title": "t", "exports": [{"path": str(path)}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]}, "missing": ["Ved ikke"],
            "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 9], "score": "sum", "missing": [9]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    with pytest.raises(InvalidInputError, match="value 'Ved ikke'"):  # the study's code no longer applies
        ingest_study(make_study(spec), b"k")
    spec["instruments"]["own"]["missing"] = [9, "ved ikke"]
    result = ingest_study(make_study(spec), b"k")
    k1 = result.responses.set_index("wave")["k1"]
    assert np.isnan(k1["pre"]) and k1["post"] == 3 and result.missing_codes == {"own": 2}


def test_group_value_is_the_one_at_the_first_answered_wave(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id;runde;by;k1\nA;efter;Vejle;2\nA;før;Aarhus;1\nB;før;Vejle;1\nB;efter;Vejle;2\n",
                    encoding="utf-8")
    spec = {"title": "t", "exports": [{"path": str(path)}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]}, "groups": {"by": {"column": "by"}},
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}},
            "groupings": [["by"]]}
    result = ingest_study(make_study(spec), b"k")
    assert sorted(result.people["by"]) == ["Aarhus", "Vejle"]
    assert set(result.responses.groupby("pid")["by"].nunique()) == {1}
    assert any("another by at a later wave" in n for n in result.notes) and result.issues.empty


def test_group_config_errors_name_the_key():
    from evaluation.config import ConfigError, validate_config

    spec = {"title": "t", "exports": [{"path": "e.csv"}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]},
            "groups": {"alder": {"column": "age", "bins": [0, 10, 5], "labels": ["a"]},
                       "koen": {"column": "sex", "expected": ["pige", "dreng"], "reference": "andet"}},
            "include": {"samtykke": ["ja"]}, "groupings": [["alder"], ["region"]],
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    with pytest.raises(ConfigError) as info:
        validate_config({"studies": {"s": spec}})
    text = "\n".join(info.value.problems)
    assert "studies.s.groups.alder.bins: [0, 10, 5] must be finite and increasing" in text
    assert "studies.s.groups.alder.labels: give 2 labels, one per bin" in text
    assert "studies.s.groups.koen.reference: 'andet' is not one of pige, dreng" in text
    assert "studies.s.include.samtykke: 'samtykke' is not a group" in text
    assert "studies.s.groupings[1]: 'region' is not a group" in text


def test_a_value_outside_every_bin_is_invalid(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id;runde;alder;k1\nA;før;12;1\nA;efter;12;2\nB;før;tolv;1\nC;før;30;1\n", encoding="utf-8")
    spec = {"title": "t", "exports": [{"path": str(path)}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]},
            "groups": {"alder": {"column": "alder", "bins": [0, 10, 18], "labels": ["0-9", "10-17"]}},
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec), b"k")
    messages = [p.message() for p in info.value.problems]
    assert [m.split(", ", 1)[1] for m in messages] == [
        "line 4, column 'alder': value 'tolv' — not a number in the bins of alder ([0, 18))",
        "line 5, column 'alder': value '30' — not a number in the bins of alder ([0, 18))"]


def test_the_whole_pipeline_publishes_the_reference_study(tmp_path):
    """Every stage on the reference (first contrast): protected tables, the left-out
    children in the flow table, and the missing-code count in the report."""
    from conftest import run_stages

    study = make_study(first_contrast_spec(tmp_path), study_id="waves")
    report = run_stages(study, tmp_path)
    flow = pd.read_csv(report / "tables/participant_flow.csv")
    overall = flow[flow["grouping"] == "all"].iloc[0]
    assert overall["not_included"] == 20 and overall["enrolled"] >= 140
    results = pd.read_csv(report / "tables/results.csv")
    assert results.loc[results["n"].notna(), "n"].min() >= 5
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "svar var en kode for manglende svar (\u201cVed ikke\u201d)" in html
    assert "Kommune og køn" in html and "Alder: 14 og derover" in html
