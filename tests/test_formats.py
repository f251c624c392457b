"""The same study exported as CSV (comma, semicolon), XLSX, SAV, DTA and Parquet gives the same results."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from conftest import REFERENCE, make_study, paired_reference_spec
from evaluation.ingest import ingest_study, read_export
from evaluation.instruments import score_responses
from evaluation.stats import complete_pairs, results_table


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "paired" / "export.csv")


def write_format(df: pd.DataFrame, fmt: str, directory) -> tuple[str, dict]:
    """The export in one format, and the config changes reading it needs."""
    waves = {"pre": ["før"], "post": ["efter"]}
    if fmt == "csv_comma":
        path = directory / "export.csv"
        df.to_csv(path, index=False)
    elif fmt == "csv_semicolon":
        path = directory / "export_semicolon.csv"
        out = df.copy()
        out["x"] = out["x"].map(lambda v: f"{v:g}".replace(".", ","))
        out.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        path = directory / "export.xlsx"
        df.to_excel(path, index=False, sheet_name="data")
    elif fmt == "sav":
        path = directory / "export.sav"
        out = df.copy()
        out["runde"] = out["runde"].map({"før": 1.0, "efter": 2.0})
        pyreadstat.write_sav(out, str(path), variable_value_labels={"runde": {1.0: "før", 2.0: "efter"}})
    elif fmt == "parquet":
        path = directory / "export.parquet"
        df.to_parquet(path, index=False)
    elif fmt == "dta":
        path = directory / "export.dta"
        out = df.copy()
        out["runde"] = out["runde"].map({"før": 1, "efter": 2})
        waves = {"pre": [1], "post": [2]}
        pyreadstat.write_dta(out, str(path))
    else:
        raise ValueError(fmt)
    return str(path), {"waves": waves}


def results_for(path: str, changes: dict) -> pd.DataFrame:
    spec = {**paired_reference_spec(path), **changes}
    study = make_study(spec)
    ingested = ingest_study(study, b"k")
    scores = score_responses(ingested.responses, study.instruments, ["pid", "wave", *study.group_columns])
    return results_table(complete_pairs(scores, study.outcomes, study.group_columns), study.groupings)


@pytest.mark.parametrize("fmt", ["csv_semicolon", "xlsx", "sav", "dta", "parquet"])
def test_every_format_gives_the_same_results_table(tmp_path, reference, fmt):
    base = results_for(*write_format(reference, "csv_comma", tmp_path))
    other = results_for(*write_format(reference, fmt, tmp_path))
    pd.testing.assert_frame_equal(base, other, check_exact=False, rtol=1e-12, atol=0)


def test_spss_user_missing_codes_are_missing_and_counted(tmp_path):
    df = pd.DataFrame({"id": ["a", "a", "b", "b"], "kommune": [1.0, 1.0, 2.0, 2.0],
                       "runde": ["før", "efter", "før", "efter"],
                       "k1": [1.0, 2.0, 99.0, 3.0], "k2": [2.0, 2.0, 2.0, 98.0]})
    path = tmp_path / "export.sav"
    pyreadstat.write_sav(df, str(path), missing_ranges={"k1": [99.0], "k2": [{"lo": 97.0, "hi": 99.0}]},
                         variable_value_labels={"kommune": {1.0: "Aarhus", 2.0: "Herning"},
                                                "k1": {1.0: "Helt uenig", 99.0: "Ved ikke"}})
    frame, lines = read_export({"path": str(path)})
    assert frame.attrs["user_missing"] == {"k1": 1, "k2": 1}
    assert frame["kommune"].tolist() == ["Aarhus", "Aarhus", "Herning", "Herning"]
    assert frame["k1"].iloc[0] == "Helt uenig" and frame["k1"].iloc[2] is None
    assert lines.tolist() == [2, 3, 4, 5]
    study = make_study({
        "title": "t", "exports": [{"path": str(path)}],
        "columns": {"id": "id", "wave": "runde", "municipality": "kommune"},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 5], "score": "sum",
                                "labels": {"Helt uenig": 1}}},
        "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}})
    result = ingest_study(study, b"k")
    assert result.issues.empty
    assert result.responses["k1"].isna().sum() == 1 and result.responses["k2"].isna().sum() == 1
    assert any("1 user-missing value(s) in column 'k1'" in note for note in result.notes)
    assert set(result.responses["municipality"]) == {"Aarhus", "Herning"}


def test_spss_labels_map_answers_whatever_the_numbering(tmp_path):
    """An SDQ item coded 1-3 in SPSS with Danish labels scores as 0-2."""
    df = pd.DataFrame({"id": ["a"], "kommune": ["X"], "runde": ["før"], "s1": [3.0]})
    path = tmp_path / "sdq.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels={
        "s1": {1.0: "Passer ikke", 2.0: "Passer delvist", 3.0: "Passer godt"}})
    frame, _ = read_export({"path": str(path)})
    from evaluation.instruments import build_instrument

    sdq = build_instrument("sdq", {"builtin": "sdq_parent", "items": ["s1", *[f"x{k}" for k in range(24)]]})
    codes, invalid = sdq.item_codes("s1", frame["s1"])
    assert codes.tolist() == [2.0] and not invalid.any()
    assert np.isfinite(codes).all()
