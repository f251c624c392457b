"""Cost sheets: read and checked like an export (CONTRACT sections 6 and 8), totals by
hand, and one test per kind of bad row with its exact message."""
from __future__ import annotations

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
