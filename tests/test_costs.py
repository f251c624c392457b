"""Cost sheets: read and checked like an export (CONTRACT sections 6 and 8), totals by
hand, and one test per kind of bad row with its exact message."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evaluation.costs import CATEGORIES, cost_table, read_cost_sheet

HEADER = "Kommune;Kategori;Post;Timer;Timepris;Beløb\n"


def sheet(tmp_path, body: str, name: str = "omkostninger.csv") -> dict:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return {"path": str(path), "price_year": 2022}


def messages(tmp_path, body: str) -> list[str]:
    items, problems = read_cost_sheet(sheet(tmp_path, body))
    assert items.empty or len(items) < body.count("\n")
    return [p.message() for p in problems]


def test_a_hand_computed_cost_sheet(tmp_path):
    spec = sheet(tmp_path, "Herning;uddannelse;Kursus;32;450;\n"
                           "Herning;materiel;Materialer;;;2.500,50\n"
                           "Aarhus;drift;Familiekonsulent;10,5;400;100\n"
                           "Aarhus;Forberedelse;Planlægning;2;500;0\n")
    items, problems = read_cost_sheet(spec)
    assert problems == []
    assert items["line"].tolist() == [2, 3, 4, 5]
    assert items["cost"].tolist() == [32 * 450, 2500.5, 10.5 * 400 + 100, 1000.0]
    assert items["category"].tolist() == ["uddannelse", "materiel", "drift", "forberedelse"]
    table = cost_table(items, ["Herning", "Aarhus", "Halsnæs"],
                       enrolled={"Herning": 10, "Aarhus": 5, "all": 15},
                       completed={"Herning": 8, "Aarhus": 4, "all": 12},
                       improved={"competence": {"Herning": 4, "Aarhus": 0, "all": 4}})
    # every municipality x category is present, in the configured order, then all
    assert table["municipality"].tolist() == [m for m in ["Herning", "Aarhus", "Halsnæs", "all"]
                                              for _ in range(len(CATEGORIES) + 1)]
    assert table["category"].tolist() == [*CATEGORIES, "total"] * 4
    cost = table.set_index(["municipality", "category"])["cost"]
    assert cost["Herning", "uddannelse"] == 14400.0 and cost["Herning", "materiel"] == 2500.5
    assert cost["Herning", "drift"] == 0.0 and cost["Halsnæs", "total"] == 0.0
    assert cost["Aarhus", "total"] == 4300.0 + 1000.0
    assert cost["all", "total"] == 14400.0 + 2500.5 + 4300.0 + 1000.0
    total = table[table["category"] == "total"].set_index("municipality")
    assert total.loc["Herning", "cost_per_enrolled"] == pytest.approx(16900.5 / 10)
    assert total.loc["Herning", "cost_per_completed"] == pytest.approx(16900.5 / 8)
    assert total.loc["Herning", "cost_per_reliably_improved_competence"] == pytest.approx(16900.5 / 4)
    assert np.isnan(total.loc["Aarhus", "cost_per_reliably_improved_competence"])  # nobody improved
    assert np.isnan(total.loc["Halsnæs", "cost_per_enrolled"])  # nobody enrolled
    assert total.loc["all", "cost_per_completed"] == pytest.approx(22200.5 / 12)
    assert total.loc["all", "n_enrolled"] == 15 and total.loc["all", "n_completed"] == 12
    assert table.loc[table["category"] != "total", "n_enrolled"].isna().all()


def test_an_excel_cost_sheet_reads_like_a_csv(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    ws.append(["Kommune", "Kategori", "Post", "Timer", "Timepris", "Beløb"])
    ws.append(["Vejle", "drift", "Akuttelefon", 12, 380.5, None])
    ws.append([None] * 6)  # a blank row is skipped, the line numbers stay the sheet's
    ws.append(["Vejle", "materiel", "Bøger", None, None, 999])
    path = tmp_path / "omkostninger.xlsx"
    book.save(path)
    items, problems = read_cost_sheet({"path": str(path), "price_year": 2021})
    assert problems == []
    assert items["line"].tolist() == [2, 4]
    assert items["cost"].tolist() == [12 * 380.5, 999.0]


def test_configured_column_names(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text("Municipality,Type,Hours,Rate,Amount\nVejle,drift,1,100,\n", encoding="utf-8")
    columns = {"municipality": "Municipality", "category": "Type", "hours": "Hours", "rate": "Rate",
               "amount": "Amount"}
    items, problems = read_cost_sheet({"path": str(path), "price_year": 2021, "columns": columns})
    assert problems == [] and items["cost"].tolist() == [100.0] and items["item"].tolist() == [""]


def test_unknown_category(tmp_path):
    assert messages(tmp_path, "Herning;løn;Konsulent;2;400;\n") == [
        "cost sheet, line 2, column 'Kategori': value 'løn' — unknown category: one of forberedelse, "
        "uddannelse, drift, materiel"]


def test_negative_amount(tmp_path):
    assert messages(tmp_path, "Herning;materiel;Refusion;;;-500\n") == [
        "cost sheet, line 2, column 'Beløb': value '-500' — negative amount: a cost is 0 or more "
        "(a refund is a lower amount)"]


def test_a_row_with_neither_hours_times_rate_nor_amount(tmp_path):
    assert messages(tmp_path, "Herning;drift;Møder;;;\n") == [
        "cost sheet, line 2, column 'Timer, Timepris, Beløb': value '' — a row with neither hours × rate "
        "nor an amount"]


def test_hours_without_a_rate_and_a_rate_without_hours(tmp_path):
    assert messages(tmp_path, "Herning;drift;Møder;4;;\nAarhus;drift;Møder;;450;\n") == [
        "cost sheet, line 2, column 'Timepris': value '' — hours need an hourly rate (Timepris)",
        "cost sheet, line 3, column 'Timer': value '' — an hourly rate needs hours (Timer)"]


def test_not_a_number_and_a_missing_municipality(tmp_path):
    assert messages(tmp_path, "Herning;drift;Møder;fire;450;\n;drift;Møder;4;450;\n") == [
        "cost sheet, line 2, column 'Timer': value 'fire' — not a number",
        "cost sheet, line 3, column 'Kommune': value '' — a cost row needs the municipality it was spent in"]


def test_every_bad_row_is_reported_and_none_is_totalled(tmp_path):
    items, problems = read_cost_sheet(sheet(tmp_path, "Herning;løn;A;;;-1\nHerning;drift;B;1;100;\n"))
    assert [(p.line, p.column) for p in problems] == [(2, "Kategori"), (2, "Beløb")]
    assert items["line"].tolist() == [3]


def test_a_missing_column_names_the_columns_there_are(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("Kommune;Kategori;Timer;Timepris\nHerning;drift;1;2\n", encoding="utf-8")
    items, problems = read_cost_sheet({"path": str(path), "price_year": 2022})
    assert items.empty
    assert [p.message() for p in problems] == [
        "cost sheet, line 1, column 'Beløb': value (header) — the cost sheet has no column 'Beløb' "
        "(config costs: columns); its columns: 'Kommune', 'Kategori', 'Timer', 'Timepris'"]


@pytest.mark.parametrize("text, value", [("1.234,50", 1234.5), ("1234.5", 1234.5), ("1 234", 1234.0),
                                         ("450 kr.", 450.0), ("12,5", 12.5), ("0", 0.0)])
def test_danish_and_english_numbers(tmp_path, text, value):
    items, problems = read_cost_sheet(sheet(tmp_path, f"Vejle;materiel;X;;;{text}\n"))
    assert problems == [] and items["cost"].tolist() == [value]


def test_a_number_that_is_ambiguous_is_not_guessed(tmp_path):
    assert messages(tmp_path, "Vejle;materiel;X;;;1,234.5\n") == [
        "cost sheet, line 2, column 'Beløb': value '1,234.5' — not a number"]


# ------------------------------------------------------- the costs analysis
def study_spec(tmp_path, family: bool = True, **costs) -> dict:
    export = tmp_path / "export.csv"
    export.write_text("id;runde;kommune;familie;k1;k2\n"
                      "1;før;A;f1;1;2\n1;efter;A;f1;3;4\n", encoding="utf-8")
    sheet = tmp_path / "omkostninger.csv"
    sheet.write_text(HEADER + "A;drift;Konsulent;10;400;\nB;materiel;Bøger;;;1000\n", encoding="utf-8")
    return {
        "title": "t", "exports": [{"path": str(export)}],
        "columns": {"id": "id", "wave": "runde", **({"family": "familie"} if family else {})},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "groups": {"municipality": {"column": "kommune", "expected": ["A", "B"]}},
        "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 5], "score": "sum"}},
        "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher", "reliability": 0.8}},
        "groupings": [["municipality"]],
        "costs": {"path": str(sheet), "price_year": 2022, **costs},
    }


def test_units_enrolled_completed_and_improved_by_hand(tmp_path):
    from conftest import make_study

    from evaluation.analyses import Data
    from evaluation.analyses import costs as analysis

    study = make_study(study_spec(tmp_path))
    # families: f1 (two children in A, one completed), f2 (A, dropped out), f3 (B, completed),
    # f4 (B, left out by include: not enrolled), p9 (B, no family: a family of its own, completed)
    people = pd.DataFrame({"pid": ["c1", "c2", "c3", "c4", "c5", "p9"],
                           "municipality": ["A", "A", "A", "B", "B", "B"],
                           "family": ["f1", "f1", "f2", "f3", "f4", None],
                           "included": [True, True, True, True, False, True],
                           "answered_pre": [True, True, True, True, True, True],
                           "answered_post": [True, False, False, True, True, True]})
    pairs = pd.DataFrame({"outcome": "o", "from_wave": "pre", "to_wave": "post",
                          "pid": ["c1", "c2", "c3", "c4", "p9"], "pre": [10.0, 12, 8, 6, 9],
                          "post": [20.0, np.nan, np.nan, 7, 3], "municipality": ["A", "A", "A", "B", "B"],
                          "family": ["f1", "f1", "f2", "f3", None]})
    data = Data(pairs=pairs, people=people)
    enrolled, completed = analysis.units(data, study)
    assert enrolled == {"A": 2, "B": 2, "all": 4}  # f1, f2 | f3, p9
    assert completed == {"A": 1, "B": 2, "all": 3}  # f1 | f3, p9
    # reliable change: SD of the complete pairs' pre = sd(10, 6, 9); c1 gains 10 points, c4 1, p9 loses 6
    s_diff = np.std([10.0, 6, 9], ddof=1) * np.sqrt(2 * (1 - 0.8))
    assert 10 / s_diff > 1.96 > 1 / s_diff and -6 / s_diff < -1.96
    assert analysis.improved(data, study) == {"o": {"A": 1, "all": 1}}
    items, _ = read_cost_sheet(study.costs)
    table = analysis.compute(Data(pairs=pairs, people=people, cost_items=items), study)
    total = table[table["category"] == "total"].set_index("municipality")
    assert total["cost"].tolist() == [4000.0, 1000.0, 5000.0]
    assert total.loc["all", "cost_per_enrolled"] == 5000 / 4 and total.loc["all", "cost_per_completed"] == 5000 / 3
    assert total.loc["A", "cost_per_reliably_improved_o"] == 4000.0
    assert np.isnan(total.loc["B", "cost_per_reliably_improved_o"])
    assert list(table.columns) == analysis.columns(study)


def published_flow(rows) -> pd.DataFrame:
    return pd.DataFrame([{"grouping": g, "group": k, "answered_pre": a, "complete_pre_post": c, "suppressed": s}
                         for g, k, a, c, s in rows])


def test_counts_of_people_are_shown_only_where_the_flow_shows_the_same_number(tmp_path):
    from conftest import make_study

    from evaluation.analyses import costs as analysis

    study = make_study(study_spec(tmp_path, family=False))
    items = pd.DataFrame({"municipality": ["A", "B"], "category": ["drift", "drift"], "cost": [900.0, 800.0]})
    table = cost_table(items, ["A", "B"], {"A": 9, "B": 8, "all": 17}, {"A": 6, "B": 7, "all": 13},
                       {"o": {"A": 5, "B": 2, "all": 7}})
    flow = published_flow([("all", "all", 17, 13, False), ("municipality", "A", 9, 6, False),
                           ("municipality", "B", None, None, True)])
    changes = pd.DataFrame({"outcome": "o", "from_wave": "pre", "to_wave": "post",
                            "grouping": ["all", "municipality", "municipality"], "group": ["all", "A", "B"],
                            "n_improved": [7, 5, None], "suppressed": [False, False, True]})
    out, why = analysis.publish(table, {"participant_flow": flow, "reliable_change": changes}, study, 5)
    total = out[out["category"] == "total"].set_index("municipality")
    assert total.loc["A", "n_enrolled"] == 9 and total.loc["A", "cost_per_completed"] == 150.0
    assert total.loc["A", "cost_per_reliably_improved_o"] == 180.0
    for column in ("n_enrolled", "n_completed", "cost_per_enrolled", "cost_per_completed",
                   "cost_per_reliably_improved_o"):
        assert pd.isna(total.loc["B", column]), column  # the flow and the classes hide B
    assert total.loc["all", "n_completed"] == 13 and total.loc["all", "cost_per_reliably_improved_o"] == 1700 / 7
    assert (out["cost"] == table["cost"]).all()  # amounts of money count no one
    b = int(np.flatnonzero((table["municipality"] == "B") & (table["category"] == "total"))[0])
    assert why[(b, "n_enrolled")] == "protect" and why[(b, "cost_per_enrolled")] == "protect"
    # a number the flow does not publish as such is not shown either
    flow.loc[1, "complete_pre_post"] = 5
    out, _ = analysis.publish(table, {"participant_flow": flow, "reliable_change": changes}, study, 5)
    a = out[(out["municipality"] == "A") & (out["category"] == "total")].iloc[0]
    assert pd.isna(a["n_completed"]) and pd.isna(a["cost_per_completed"]) and a["n_enrolled"] == 9


def test_counts_of_families_small_their_difference_small_and_one_hidden_alone(tmp_path):
    from conftest import make_study

    from evaluation.analyses import costs as analysis

    study = make_study(study_spec(tmp_path))
    items = pd.DataFrame({"municipality": ["A", "B", "C"], "category": "drift", "cost": [1000.0, 2000.0, 3000.0]})

    def published(enrolled, completed):
        table = cost_table(items, ["A", "B", "C"], enrolled, completed)
        out, why = analysis.publish(table, {}, study, 5)
        reasons = {(table.at[i, "municipality"], c): w for (i, c), w in why.items()}
        return out[out["category"] == "total"].set_index("municipality"), reasons

    # A: 3 families (small); B: 2 of its 20 left (a small difference); C: 5 of 30 left
    total, reasons = published({"A": 3, "B": 20, "C": 30, "all": 53}, {"A": 3, "B": 18, "C": 25, "all": 46})
    assert reasons[("A", "n_enrolled")] == reasons[("A", "n_completed")] == "small"
    assert reasons[("B", "n_enrolled")] == reasons[("B", "n_completed")] == "protect"
    assert reasons[("A", "cost_per_enrolled")] == "small" and reasons[("B", "cost_per_completed")] == "protect"
    assert pd.isna(total.loc["A", "cost_per_enrolled"]) and pd.isna(total.loc["B", "n_completed"])
    assert total.loc["C", "n_enrolled"] == 30 and total.loc["C", "cost_per_completed"] == 120.0
    assert total.loc["all", "n_enrolled"] == 53 and total.loc["all", "n_completed"] == 46
    # A alone hidden would be all minus the others: the smallest other one goes too
    total, reasons = published({"A": 3, "B": 20, "C": 30, "all": 53}, {"A": 3, "B": 14, "C": 25, "all": 42})
    assert reasons[("B", "n_enrolled")] == reasons[("B", "n_completed")] == "protect"
    assert total.loc["C", "n_enrolled"] == 30 and total.loc["C", "n_completed"] == 25
    assert set(reasons) == {(m, c) for m in "AB" for c in ("n_enrolled", "n_completed", "cost_per_enrolled",
                                                          "cost_per_completed")}


def test_bad_cost_rows_stop_the_run_or_are_listed_in_quarantine(tmp_path):
    from conftest import make_study

    from evaluation.analyses import Data, data_issues
    from evaluation.ingest import InvalidInputError, ingest_study

    spec = study_spec(tmp_path)
    Path(spec["costs"]["path"]).write_text(HEADER + "A;løn;X;1;100;\nC;drift;Y;1;100;\nB;drift;Z;2;100;\n",
                                           encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        ingest_study(make_study(spec), b"k")
    assert [p.message() for p in err.value.problems] == [
        f"{spec['costs']['path']}, line 2, column 'Kategori': value 'løn' — unknown category: one of "
        "forberedelse, uddannelse, drift, materiel",
        f"{spec['costs']['path']}, line 3, column 'Kommune': value 'C' — unknown municipality: one of A, B "
        "(groups: municipality: expected)"]
    study = make_study(spec, on_invalid="quarantine")
    result = ingest_study(study, b"k")
    assert result.cost_items["line"].tolist() == [4] and result.cost_items["cost"].tolist() == [200.0]
    published = data_issues.compute(Data(issues=result.issues), study)
    assert published[["source", "line", "column"]].values.tolist() == [["cost sheet", 2, "Kategori"],
                                                                         ["cost sheet", 3, "Kommune"]]


def test_costs_need_a_municipality_group(tmp_path):
    from conftest import make_study

    from evaluation.config import ConfigError

    spec = study_spec(tmp_path)
    del spec["groups"]
    spec["groupings"] = []
    with pytest.raises(ConfigError, match="costs are totalled per municipality"):
        make_study(spec)


def test_the_sheets_are_named_by_kind_never_by_path_in_what_is_published(tmp_path):
    """A file or sheet name may identify someone: the report's config appendix and the
    figures' settings name the cost sheet "cost sheet", as exports are "export 1"."""

    from conftest import make_study

    from evaluation.stages import provenance, write_settings

    spec = study_spec(tmp_path)
    named = tmp_path / "udgifter familien Jensen.csv"
    named.write_text(Path(spec["costs"]["path"]).read_text(encoding="utf-8"), encoding="utf-8")
    spec["costs"].update(path=str(named), sheet="Jensen")
    study = make_study(spec)
    config = provenance(study, [])["config"]
    write_settings(study, tmp_path / "settings.json")
    settings = (tmp_path / "settings.json").read_text(encoding="utf-8")
    for text in (config, settings):
        assert "Jensen" not in text and "cost sheet" in text
    import yaml

    assert yaml.safe_load(config)["costs"]["price_year"] == 2022
