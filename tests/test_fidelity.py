"""Fidelity sheets and the implementation analyses (CONTRACT sections 6-8): every
published number of a hand-computed case, the publication rules, and one test per
kind of bad row with its exact message."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import make_study
from evaluation.analyses import Data
from evaluation.analyses import fidelity as analysis
from evaluation.analyses import fidelity_change
from evaluation.fidelity import read_fidelity_sheet

ELEMENTS = {"krise": {"da": "Kriseinformeret praksis", "en": "Crisis-informed practice"}, "plan": "Handleplan"}
DELIVERED = {"ja": 1, "delvist": 0.5, "nej": 0}


def study_spec(tmp_path, sheet: str = "familie;Kerneelement;Leveret\n", unit: str = "family") -> dict:
    export = tmp_path / "export.csv"
    export.write_text("id;runde;kommune;familie;k1;k2\n1;før;A;F1;1;2\n1;efter;A;F1;3;4\n2;før;B;F2;2;2\n",
                      encoding="utf-8")
    path = tmp_path / "fidelitet.csv"
    path.write_text(sheet, encoding="utf-8")
    return {
        "title": "t", "exports": [{"path": str(export)}],
        "columns": {"id": "id", "wave": "runde", "family": "familie"},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "groups": {"municipality": {"column": "kommune", "expected": ["A", "B"]}},
        "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 5], "score": "sum"}},
        "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}},
        "groupings": [["municipality"]],
        "fidelity": {"path": str(path), "unit": unit, "columns": {"id": "familie"}, "elements": ELEMENTS,
                     "delivered": DELIVERED, "high_fidelity": 0.8},
    }


# families f1-f3 in A, f4-f6 in B; f6 has no row for "plan" (counted as 0); f7's people are left out
ITEMS = pd.DataFrame([("f1", "krise", 1.0), ("f1", "plan", 1.0), ("f2", "krise", 1.0), ("f2", "plan", 0.5),
                      ("f3", "krise", 0.5), ("f3", "plan", 0.5), ("f4", "krise", 1.0), ("f4", "plan", 1.0),
                      ("f5", "krise", 0.0), ("f5", "plan", 1.0), ("f6", "krise", 1.0), ("f7", "krise", 1.0)],
                     columns=["unit", "element", "delivered"])
PEOPLE = pd.DataFrame({"pid": [f"p{i}" for i in range(1, 9)],
                       "family": ["f1", "f1", "f2", "f3", "f4", "f5", "f6", "f7"],
                       "municipality": ["A", "A", "A", "A", "B", "B", "B", "B"],
                       "included": [True] * 7 + [False]})


def test_fidelity_by_hand(tmp_path):
    study = make_study(study_spec(tmp_path))
    data = Data(people=PEOPLE, fidelity=ITEMS)
    units = analysis.units(data, study)
    # scores: f1 1, f2 0.75, f3 0.5, f4 1, f5 0.5, f6 (1 + 0) / 2 = 0.5; f7 left out
    assert units["score"].to_dict() == {"f1": 1.0, "f2": 0.75, "f3": 0.5, "f4": 1.0, "f5": 0.5, "f6": 0.5}
    assert units.loc[units["high"]].index.tolist() == ["f1", "f4"]
    # every published number, by hand: (n_units, mean_delivered, share_full, n_high, share_high)
    expected = {
        ("krise", "A"): (3, 2.5 / 3, 2 / 3, 1, 1 / 3), ("krise", "B"): (3, 2 / 3, 2 / 3, 1, 1 / 3),
        ("krise", "all"): (6, 4.5 / 6, 4 / 6, 2, 2 / 6),
        ("plan", "A"): (3, 2 / 3, 1 / 3, 1, 1 / 3), ("plan", "B"): (2, 1.0, 1.0, 1, 1 / 2),  # f6: no plan row
        ("plan", "all"): (5, 4 / 5, 3 / 5, 2, 2 / 5),
        ("all", "A"): (3, 2.25 / 3, 1 / 3, 1, 1 / 3), ("all", "B"): (3, 2 / 3, 1 / 3, 1, 1 / 3),  # the scores
        ("all", "all"): (6, 4.25 / 6, 2 / 6, 2, 2 / 6),
    }
    table = analysis.compute(data, study).set_index(["element", "municipality"])
    assert table.index.tolist() == list(expected)
    for key, values in expected.items():
        got = table.loc[key, ["n_units", "mean_delivered", "share_full", "n_high", "share_high"]].tolist()
        assert got == pytest.approx(list(values)), key
    assert list(analysis.compute(data, study).columns) == list(analysis.COLUMNS)


def test_change_by_fidelity_by_hand(tmp_path):
    study = make_study(study_spec(tmp_path))
    pairs = pd.DataFrame({"outcome": "o", "from_wave": "pre", "to_wave": "post",
                          "pid": ["p1", "p2", "p3", "p4", "p5", "p6", "p7"],
                          "family": ["f1", "f1", "f2", "f3", "f4", "f5", "f6"],
                          "pre": [10.0, 12, 9, 11, 8, 10, 12], "post": [14.0, 18, 10, 11, np.nan, 13, 11]})
    table = fidelity_change.compute(Data(pairs=pairs, people=PEOPLE, fidelity=ITEMS), study)
    # high: f1 (mean of 4 and 6 = 5); f4 has no complete pair. low: f2 1, f3 0, f5 3, f6 -1
    row = table.iloc[0]
    assert (row["n_high"], row["n_low"], row["change_mean_high"], row["change_mean_low"]) == (1, 4, 5.0, 0.75)
    assert np.isnan(row["welch_p"])  # one high family: no test
    pairs.loc[pairs["pid"] == "p5", "post"] = 12.0  # f4 gains 4: two high families
    row = fidelity_change.compute(Data(pairs=pairs, people=PEOPLE, fidelity=ITEMS), study).iloc[0]
    want = stats.ttest_ind([5.0, 4.0], [1.0, 0.0, 3.0, -1.0], equal_var=False)
    assert row["welch_diff"] == pytest.approx(4.5 - 0.75)
    assert row["welch_t"] == pytest.approx(want.statistic) and row["welch_p"] == pytest.approx(want.pvalue)
    assert list(table.columns) == list(fidelity_change.COLUMNS)


def fidelity_table(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["element", "municipality", "n_units", "mean_delivered", "share_full",
                                       "n_high", "share_high"])


def test_publication_rules(tmp_path):
    study = make_study(study_spec(tmp_path))
    table = fidelity_table([
        ("krise", "A", 40, 0.9, 0.5, 24, 0.6), ("krise", "B", 30, 0.8, 0.5, 20, 20 / 30),
        ("krise", "C", 3, 1.0, 1.0, 3, 1.0), ("krise", "D", 25, 0.7, 0.4, 15, 0.6),
        ("krise", "all", 98, 0.85, 0.5, 62, 62 / 98),
        ("plan", "A", 38, 0.9, 0.5, 24, 24 / 38), ("plan", "B", 30, 0.8, 0.5, 18, 0.6),
        ("plan", "C", 3, 1.0, 1.0, 3, 1.0), ("plan", "D", 25, 0.7, 0.4, 15, 0.6),
        ("plan", "all", 96, 0.85, 0.5, 60, 60 / 96),
        ("all", "A", 40, 0.9, 0.5, 24, 0.6), ("all", "B", 30, 0.8, 0.9, 20, 20 / 30),
        ("all", "C", 3, 1.0, 1.0, 3, 1.0), ("all", "D", 25, 0.7, 0.4, 15, 0.6),
        ("all", "all", 98, 0.85, 0.5, 62, 62 / 98)])
    out, why = analysis.publish(table, {}, study, 5)
    out = out.set_index(["element", "municipality"])
    reasons = {(table.at[i, "element"], table.at[i, "municipality"], c): w for (i, c), w in why.items()}
    hidden = {key for key in out.index if out.loc[key, "suppressed"]}
    # C: 3 units, not published; D, the smallest other, goes with it (all minus the rest would give C);
    # plan in A (and in all): 2 units have no plan row (40 - 38): those rows go, and A instead of D
    assert hidden == {("krise", "C"), ("krise", "D"), ("plan", "A"), ("plan", "C"), ("plan", "all"), ("all", "C"),
                      ("all", "D")}
    assert out.loc[("krise", "C")].drop("suppressed").isna().all()
    assert reasons[("krise", "C", "n_units")] == "small" and reasons[("krise", "D", "n_units")] == "protect"
    assert reasons[("plan", "A", "n_units")] == "protect"
    assert out.loc[("krise", "B"), "n_units"] == 30 and out.loc[("krise", "all"), "n_high"] == 62
    # plan in B: 2 of B's 20 high units have no plan row: n_high and its share go, the rest stays
    assert pd.isna(out.loc[("plan", "B"), "n_high"]) and pd.isna(out.loc[("plan", "B"), "share_high"])
    assert reasons[("plan", "B", "n_high")] == "protect" and out.loc[("plan", "B"), "mean_delivered"] == 0.8
    # all in B: 27 of 30 served fully, 3 not: the share goes, the row stays
    assert pd.isna(out.loc[("all", "B"), "share_full"]) and reasons[("all", "B", "share_full")] == "protect"
    assert out.loc[("all", "B"), "n_high"] == 20 and out.loc[("all", "all"), "n_units"] == 98


def test_change_rows_need_enough_units_on_both_sides_and_all_accounted_for(tmp_path):
    study = make_study(study_spec(tmp_path, unit="person"))
    table = pd.DataFrame({"outcome": "o", "from_wave": "pre", "to_wave": "post", "n_high": [20, 3, 20],
                          "n_low": [30, 40, 30], "change_mean_high": 1.0, "change_mean_low": 0.5,
                          "welch_diff": 0.5, "welch_t": 1.0, "welch_df": 40.0, "welch_p": 0.3,
                          "welch_ci_low": -0.5, "welch_ci_high": 1.5})
    table["to_wave"] = ["post", "post2", "post3"]
    results = pd.DataFrame({"outcome": "o", "from_wave": "pre", "to_wave": ["post", "post2", "post3"],
                            "grouping": "all", "group": "all", "n": [50, 43, 52], "suppressed": False})
    out, why = fidelity_change.publish(table, {"results": results}, study, 5)
    assert out["suppressed"].tolist() == [False, True, True]
    assert out.loc[0, "welch_p"] == 0.3 and pd.isna(out.loc[1, "welch_p"]) and pd.isna(out.loc[2, "n_high"])
    assert why == {(1, "n_high"): "small", (2, "n_high"): "protect"}  # 52 - 50: two without a fidelity row


def sheet_messages(tmp_path, body: str) -> list[str]:
    spec = study_spec(tmp_path, "familie;Kerneelement;Leveret\n" + body)["fidelity"]
    _, problems = read_fidelity_sheet(spec)
    return [p.message() for p in problems]


def test_elements_by_id_or_label_and_answers_any_case(tmp_path):
    spec = study_spec(tmp_path, "familie;Kerneelement;Leveret\nF1;krise;Ja\nF1;Handleplan;delvist\n"
                                "F2;Crisis-informed practice; NEJ \n")["fidelity"]
    rows, problems = read_fidelity_sheet(spec)
    assert problems == []
    assert rows[["line", "id", "element", "delivered"]].values.tolist() == [
        [2, "F1", "krise", 1.0], [3, "F1", "plan", 0.5], [4, "F2", "krise", 0.0]]


def test_unknown_element(tmp_path):
    assert sheet_messages(tmp_path, "F1;netværk;ja\n") == [
        "fidelity sheet, line 2, column 'Kerneelement': value 'netværk' — unknown core element: one of krise, "
        "plan (config fidelity: elements)"]


def test_an_answer_delivered_does_not_map(tmp_path):
    assert sheet_messages(tmp_path, "F1;krise;måske\n") == [
        "fidelity sheet, line 2, column 'Leveret': value 'måske' — not an answer of config fidelity: delivered "
        "(ja, delvist, nej)"]


def test_the_same_unit_and_element_twice_and_an_empty_id(tmp_path):
    assert sheet_messages(tmp_path, "F1;krise;ja\nF1;Kriseinformeret praksis;nej\n;plan;ja\n") == [
        "fidelity sheet, line 3, column 'Kerneelement': value 'Kriseinformeret praksis' — the same unit and core "
        "element as line 2",
        "fidelity sheet, line 4, column 'familie': value '' — a fidelity row needs the unit's id"]


def test_a_missing_column(tmp_path):
    assert sheet_messages(tmp_path, "")[:0] == []
    spec = study_spec(tmp_path, "familie;Element;Leveret\nF1;krise;ja\n")["fidelity"]
    _, problems = read_fidelity_sheet(spec)
    assert [p.message() for p in problems] == [
        "fidelity sheet, line 1, column 'Kerneelement': value (header) — the fidelity sheet has no column "
        "'Kerneelement' (config fidelity: columns); its columns: 'familie', 'Element', 'Leveret'"]


def test_an_id_that_is_no_unit_of_the_exports_and_a_missing_element_said(tmp_path):
    from evaluation.ingest import InvalidInputError, ingest_study

    spec = study_spec(tmp_path, "familie;Kerneelement;Leveret\nF1;krise;ja\nF9;krise;ja\n")
    with pytest.raises(InvalidInputError) as err:
        ingest_study(make_study(spec), b"k")
    assert [p.message() for p in err.value.problems] == [
        f"{spec['fidelity']['path']}, line 3, column 'familie': value (an id) — not a family id of the exports"]
    result = ingest_study(make_study(spec, on_invalid="quarantine"), b"k")
    assert len(result.fidelity) == 1 and result.fidelity["unit"].iloc[0] == result.people["family"].iloc[0]
    assert "fidelity: 1 units lack a row for some core element (counted as 0 in their score)" in result.notes


def test_a_family_unit_needs_the_family_column(tmp_path):
    from evaluation.config import ConfigError

    spec = study_spec(tmp_path)
    del spec["columns"]["family"]
    with pytest.raises(ConfigError, match="'family' needs the family id column"):
        make_study(spec)
