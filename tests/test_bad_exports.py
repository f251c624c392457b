"""Broken exports (tests/data/bad/, written by make_cases.py): the exact message, the
quarantine entry, and nothing published."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import make_study
from evaluation.ingest import InvalidInputError, ingest_study
from evaluation.stages import run_stage

BAD = Path(__file__).parent / "data" / "bad"

# file -> (the message after "<file>, ", whether quarantine can go on)
CASES = {
    "unknown_label.csv": ("line 2, column 'k1': value 'Helt uenigt' — not a valid answer for own (codes 1-5 or their labels)", True),
    "out_of_range.csv": ("line 3, column 'k2': value '7' — not a valid answer for own (codes 1-5 or their labels)", True),
    "who5_decimal.csv": ("line 4, column 'w3': value '2,5' — not a valid answer for who5 (codes 0-5 or their labels)", True),
    "text_in_item.csv": ("line 5, column 'w1': value 'n/a' — not a valid answer for who5 (codes 0-5 or their labels)", True),
    "negative_code.csv": ("line 2, column 'w2': value '-1' — not a valid answer for who5 (codes 0-5 or their labels)", True),
    "empty_id.csv": ("line 3, column 'id': value '' — id is empty", True),
    "blank_id_spaces.csv": ("line 4, column 'id': value '' — id is empty", True),
    "unknown_wave.csv": ("line 5, column 'runde': value 'midt' — unknown wave; allowed: 'før', 'efter'", True),
    "blank_wave.csv": ("line 2, column 'runde': value '' — unknown wave; allowed: 'før', 'efter'", True),
    "missing_column.csv": ("line 1, column 'kommune': value (absent) — required column missing; the file has: "
                           "id, runde, k1, k2, w1, w2, w3, w4, w5", False),
    "header_typo.csv": ("line 1, column 'id': value (absent) — required column missing; the file has: "
                        "respondent, kommune, runde, k1, k2, w1, w2, w3, w4, w5", False),
    "partial_instrument.csv": ("line 1, column 'w5': value (absent) — instrument who5: 1 of its columns are "
                               "missing (w5); an export carries all its items or none", False),
    "duplicate_header.csv": ("line 1, column 'k1': value (header) — the column name appears 2 times in the header",
                             False),
    "ragged_row.csv": ("line 3, column '(whole row)': value 11 fields — the header has 10; is there an unquoted "
                       "';' inside a value?", False),
    "empty_export.csv": ("column '(file)': value (no data rows) — the export has no data rows", False),
    "conflicting_duplicate.csv": ("line 6, column 'k1': value '4' — the same person answered this wave more than "
                                  "once with different answers (lines 2, 6)", True),
    "municipality_typo.csv": ("line 4, column 'kommune': value 'Hering' — not an expected municipality; "
                              "expected: Aarhus, Herning", True),
    "cpr_in_municipality.csv": ("line 2, column 'kommune': value (hidden: looks like a CPR number) — looks like a "
                                "CPR number; remove personal numbers from the export", True),
    "cpr_in_item.csv": ("line 5, column 'k1': value (hidden: looks like a CPR number) — not a valid answer for "
                        "own (codes 1-5 or their labels)", True),
    "excel_label_typo.xlsx": ("line 3, column 'k2': value 'Helt  enig!' — not a valid answer for own (codes 1-5 "
                              "or their labels)", True),
    "spss_out_of_range.sav": ("line 2, column 'w1': value '9' — not a valid answer for who5 (codes 0-5 or "
                              "their labels)", True),
}


def spec(path: Path) -> dict:
    return {"title": "bad", "exports": [{"path": str(path)}],
            "columns": {"id": "id", "wave": "runde", "municipality": "kommune"},
            "waves": {"pre": ["før"], "post": ["efter"]},
            "expected": {"municipality": ["Aarhus", "Herning"]},
            "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 5], "score": "sum",
                                    "labels": {"Helt uenig": 1, "Helt enig": 5}},
                            "who5": {"builtin": "who5", "items": ["w1", "w2", "w3", "w4", "w5"]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}


def test_there_are_at_least_twenty_and_every_one_has_a_case():
    files = {p.name for p in BAD.iterdir() if p.suffix != ".py"}
    assert len(files) >= 20 and files == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_stop_gives_the_exact_message(name):
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec(BAD / name)), b"k")
    assert [p.message() for p in info.value.problems] == [f"{BAD / name}, {CASES[name][0]}"]
    assert "0102031234" not in str(info.value) and "010203-1234" not in str(info.value)


@pytest.mark.parametrize("name", sorted(CASES))
def test_quarantine_lists_the_problem_or_stops_for_an_illegible_file(name):
    study = make_study(spec(BAD / name), on_invalid="quarantine")
    message, can_go_on = CASES[name]
    if not can_go_on:
        with pytest.raises(InvalidInputError):
            ingest_study(study, b"k")
        return
    result = ingest_study(study, b"k")
    entries = [f"{r.source}, line {r.line}, column {r.column!r}: value {r.value} — {r.rule}"
               for r in result.issues.itertuples()]
    assert entries == [f"{BAD / name}, {message}"]
    assert len(result.flow) == (5 if name == "conflicting_duplicate.csv" else 4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_nothing_is_published(name, tmp_path):
    outputs = {"responses": tmp_path / "p" / "responses.parquet", "flow": tmp_path / "p" / "flow.csv",
               "issues": tmp_path / "p" / "data_issues.csv"}
    with pytest.raises(InvalidInputError):
        run_stage("ingest", make_study(spec(BAD / name)), {}, {k: str(v) for k, v in outputs.items()},
                  str(tmp_path / "ingest.log"))
    assert not any(p.exists() for p in outputs.values())
    assert "ingest failed" in (tmp_path / "ingest.log").read_text(encoding="utf-8")
