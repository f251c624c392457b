"""Ordinary input that used to crash, mislead or leak (issue 9), each reproduced first."""
from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, make_study, run_snakemake, run_stages
from evaluation.config import ConfigError, parse_config_text, validate_config
from evaluation.ingest import InvalidInputError, ingest_study

HEADER = "id;kommune;runde;k1;k2\n"


def spec(path, **extra) -> dict:
    return {
        "title": "t", "exports": [{"path": str(path)}],
        "columns": {"id": "id", "wave": "runde", "municipality": "kommune"},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 5], "score": "sum"}},
        "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}},
        "groupings": [["municipality"]], **extra,
    }


def people_csv(n=12, municipality=lambda i: "Aarhus" if i % 2 else "Herning", drop=()) -> str:
    rows = []
    for i in range(n):
        rows.append(f"P{i};{municipality(i)};før;{1 + i % 3};{2 + i % 2}")
        if i not in drop:
            rows.append(f"P{i};{municipality(i)};efter;{2 + i % 3};{3 + i % 2}")
    return HEADER + "\n".join(rows) + "\n"


def write(tmp_path, text, name="export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def config_problems(study: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config({"studies": {"s": study}})
    return "\n".join(info.value.problems)


# ------------------------------------------------------------------ config
def test_infinite_range_is_a_config_error(tmp_path):
    s = spec("x.csv")
    s["instruments"]["own"]["range"] = [0, float("inf")]
    assert "studies.s.instruments.own.range: [0, inf] must be finite numbers" in config_problems(s)


def test_an_export_column_is_mapped_once_only():
    s = spec("x.csv")
    s["columns"]["variant"] = "id"
    text = config_problems(s)
    assert "studies.s.columns.variant: export column 'id' is already mapped as id" in text


def test_cpr_or_control_character_in_the_config_is_an_error():
    s = spec("x.csv", title="Rapport om 0101901234")
    s["outcomes"]["o"]["label"] = "Trivsel\x07"
    text = config_problems(s)
    assert "studies.s.title: looks like a CPR number" in text
    assert "studies.s.outcomes.o.label" in text and "control or invisible character" in text


def test_yaml_numbers_lines_duplicates_and_alias_bombs(tmp_path):
    assert parse_config_text("analysis: {ci_level: 9.5e-1, min_n: 1e1}")["analysis"] == {"ci_level": 0.95,
                                                                                       "min_n": 10.0}
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: not valid YAML"):
        parse_config_text("studies:\n  a: 1\n  b: [unclosed\n")
    with pytest.raises(ConfigError, match=r"line 3: key 'min_n' is given twice \(first on line 2\)"):
        parse_config_text("analysis:\n  min_n: 5\n  min_n: 6\n")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    with pytest.raises(ConfigError) as info:
        parse_config_text(bomb)
    assert "aliases expand beyond the size of the document" in str(info.value) and len(str(info.value)) < 500


def test_a_config_yaml_in_the_study_folder_is_never_merged(tmp_path):
    shutil.copytree(REPO / "data" / "raw", tmp_path / "data" / "raw")
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    cfg["studies"] = {"parents": cfg["studies"]["parents"]}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = run_snakemake(tmp_path, "--dry-run")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "parents" in proc.stdout and "fosterfamilies" not in proc.stdout


def test_a_config_over_128_kib_runs(tmp_path):
    """The figures rule once passed the whole config on its command line ("Argument list too long")."""
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    write(raw, people_csv(20), "e.csv")
    s = spec("data/raw/e.csv", title="Evaluering " + "x" * 200_000)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({"studies": {"s": s}}, allow_unicode=True, sort_keys=False))
    proc = run_snakemake(tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "reports/s/report.html").is_file()


# ------------------------------------------------------------------ exports
def workbook(tmp_path, hidden_first=False, formula=False, blank_row=False) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if hidden_first:
        sheet.title = "Gammel"
        sheet.append(["id", "kommune", "runde", "k1", "k2"])
        sheet.append(["OLD", "Aarhus", "før", 5, 5])
        sheet.sheet_state = "hidden"
        sheet = book.create_sheet("Besvarelser")
    sheet.append(["id", "kommune", "runde", "k1", "k2"])
    sheet.append(["A", "Aarhus", "før", 1, 2])
    if blank_row:
        sheet.append([None, None, None, None, None])
    sheet.append(["A", "Aarhus", "efter", "=1+1" if formula else 2, 3])
    path = tmp_path / "x.xlsx"
    book.save(path)
    return path


def test_hidden_first_sheet_is_not_read(tmp_path):
    result = ingest_study(make_study(spec(workbook(tmp_path, hidden_first=True))), b"k")
    assert len(result.responses) == 2 and "OLD" not in result.flow.to_csv()


def test_formula_without_stored_value_is_invalid_input(tmp_path):
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec(workbook(tmp_path, formula=True))), b"k")
    assert "x.xlsx, line 3, column 'k1': value (formula) — a formula cell without a stored value" in str(info.value)


def test_blank_excel_rows_are_skipped_like_csv(tmp_path):
    result = ingest_study(make_study(spec(workbook(tmp_path, blank_row=True))), b"k")
    assert sorted(result.flow["line"]) == [2, 4] and set(result.flow["status"]) == {"answered"}


def test_one_municipality_however_its_letters_are_typed(tmp_path):
    names = ["\u00c5rhus", "A\u030arhus", "\u00c5rhus\u200b", "\ufeff\u00c5rhus"]  # NFC, NFD, ZWSP, BOM
    path = write(tmp_path, people_csv(12, municipality=lambda i: names[i % 4]))
    result = ingest_study(make_study(spec(path)), b"k")
    assert set(result.responses["municipality"]) == {"\u00c5rhus"}
    assert any("invisible character" in note for note in result.notes)


def test_decimal_comma_reads_a_dot_as_thousands(tmp_path):
    path = write(tmp_path, HEADER + "A;Aarhus;før;1.000;2\nA;Aarhus;efter;2;3\n")
    s = spec(path)
    s["exports"][0]["decimal"] = ","
    with pytest.raises(InvalidInputError, match="column 'k1': value '1.000' — not a valid answer"):
        ingest_study(make_study(s), b"k")
    s["exports"][0]["decimal"] = "."
    assert ingest_study(make_study(s), b"k").responses["k1"].tolist() == [1.0, 2.0]  # pre, then post: waves in time order


def test_misspelt_item_column_is_named_before_scoring(tmp_path):
    path = write(tmp_path, people_csv())
    s = spec(path)
    s["instruments"]["own"]["items"] = ["k1x", "k2x"]
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(s), b"k")
    assert "instrument own: no export has its item columns (k1x, k2x)" in str(info.value)


def test_every_problem_is_in_the_ingest_log(tmp_path):
    text = HEADER + "".join(f"P{i};Aarhus;før;9;1\n" for i in range(60))
    path = write(tmp_path, text)
    study = make_study(spec(path))
    with pytest.raises(InvalidInputError) as info:
        run_stages(study, tmp_path, stages=("ingest",))
    assert "... and 10 more problems" in str(info.value)
    log = (tmp_path / "logs/s/ingest.log").read_text()
    assert all(f"export.csv, line {line}, column 'k1': value '9'" in log for line in range(2, 62))


def test_wide_and_long_layouts_give_the_same_participant_flow(tmp_path):
    long = write(tmp_path, people_csv(12, drop=(1, 4)), "long.csv")
    wide_rows = ["id;kommune;k1_1;k2_1;k1_2;k2_2"]
    for i in range(12):
        post = ";" if i in (1, 4) else f"{2 + i % 3};{3 + i % 2}"
        wide_rows.append(f"P{i};{'Aarhus' if i % 2 else 'Herning'};{1 + i % 3};{2 + i % 2};{post}")
    wide = write(tmp_path, "\n".join(wide_rows) + "\n", "wide.csv")
    s_wide = spec(wide)
    s_wide["exports"] = [{"path": str(wide), "wide": {"pre": "_1", "post": "_2"}}]
    del s_wide["columns"]["wave"]
    tables = []
    for s, name in ((spec(long), "long"), (s_wide, "wide")):
        run_stages(make_study(s, min_n=1), tmp_path / name, stages=("ingest", "score", "analyse", "tables"))
        tables.append(pd.read_csv(tmp_path / name / "data/processed/s/publication/tables/participant_flow.csv"))
    pd.testing.assert_frame_equal(*tables)
    assert tables[0].loc[0, "excluded_rows"] == 0


def test_wilcoxon_v_is_empty_without_pairs():
    from evaluation.stats import results_table

    pairs = pd.DataFrame({"outcome": "o", "pid": list("abcd"), "pre": [1.0, 2, 3, np.nan],
                          "post": [2.0, 3, 5, 4], "m": ["A", "A", "A", "B"]})
    res = results_table(pairs, [[], ["m"]]).set_index("group")
    assert res.loc["B", "n"] == 0 and np.isnan(res.loc["B", "wilcoxon_v"])
    assert res.loc["A", "wilcoxon_v"] == 6


def test_a_huge_range_is_refused_before_it_overflows():
    s = spec("x.csv")
    s["instruments"]["own"]["range"] = [0, 1e300]
    assert "must be finite numbers between -1e9 and 1e9" in config_problems(s)


# ------------------------------------------------------------------ publication
def test_group_value_starting_with_equals_is_no_formula(tmp_path):
    evil = '=HYPERLINK("http://x","klik")'
    path = write(tmp_path, people_csv(20, municipality=lambda i: evil if i % 2 else "Herning"))
    report = run_stages(make_study(spec(path)), tmp_path)
    with zipfile.ZipFile(report / "tables.xlsx") as z:
        sheets = "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in sheets
    book = openpyxl.load_workbook(report / "tables.xlsx")
    assert evil in [c.value for c in book["Resultater"]["E"]]
    results = pd.read_csv(report / "tables/results.csv")
    assert "'" + evil in set(results["group"])


def test_quarantine_publishes_no_value(tmp_path):
    text = people_csv(20).replace("P3;Aarhus;før;1;3", "P3;Aarhus;før;Hans Jensen;3")
    path = write(tmp_path, text)
    report = run_stages(make_study(spec(path), on_invalid="quarantine"), tmp_path)
    issues = pd.read_csv(report / "data_issues.csv")
    assert list(issues.columns) == ["source", "line", "column", "rule"]
    assert issues.loc[0, "source"] == "export 1"
    blob = "".join(p.read_text(errors="replace") for p in report.rglob("*") if p.suffix in (".csv", ".html"))
    assert "Hans Jensen" not in blob and "export.csv" not in blob
    with zipfile.ZipFile(report / "report.docx") as z:
        assert "Hans Jensen" not in z.read("word/document.xml").decode()


def test_group_label_with_dollars_and_control_characters_is_drawn(tmp_path):
    path = write(tmp_path, people_csv(20, municipality=lambda i: "Kr $5 $ og\x07 mere" if i % 2 else "Herning"))
    report = run_stages(make_study(spec(path)), tmp_path)
    assert (report / "figures/means_o.png").is_file() and (report / "report.docx").is_file()


def test_processed_files_follow_the_umask(tmp_path):
    import os

    path = write(tmp_path, people_csv(20))
    old = os.umask(0o077)
    try:
        run_stages(make_study(spec(path)), tmp_path, stages=("ingest", "score"))
    finally:
        os.umask(old)
    for p in (tmp_path / "data/processed/s").iterdir():
        assert p.stat().st_mode & 0o077 == 0, p


def test_a_failed_publication_leaves_the_last_one_whole(tmp_path, monkeypatch):
    from evaluation.report import docx

    path = write(tmp_path, people_csv(20))
    study = make_study(spec(path))
    report = run_stages(study, tmp_path)
    before = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    write(tmp_path, people_csv(24))
    monkeypatch.setattr(docx, "write_zip", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        run_stages(study, tmp_path)
    after = {p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()}
    assert after == before
    assert not list((tmp_path / "data/processed/s/publication").glob(".*"))  # no temp file left
    monkeypatch.undo()
    run_stages(study, tmp_path)
    assert {p.relative_to(report) for p in report.rglob("*") if p.is_file()} == set(before)
    assert not [p for p in (tmp_path / "reports").iterdir() if p.name.startswith((".s.staging", ".s.old"))]


def test_source_date_epoch_gives_identical_reports(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("EVALUATION_ID_KEY", "fixed")
    path = write(tmp_path, people_csv(30))
    s = spec(path)
    outputs = []
    for run in ("a", "b"):
        cfg = {**s, "exports": [{"path": str(path)}]}
        study = make_study(cfg, figures={"svg": True})
        report = run_stages(study, tmp_path / run)
        outputs.append({p.relative_to(report): p.read_bytes() for p in report.rglob("*") if p.is_file()})
    assert outputs[0].keys() == outputs[1].keys() and len(outputs[0]) > 10
    assert [k for k in outputs[0] if outputs[0][k] != outputs[1][k]] == []
    assert any(k.suffix == ".svg" for k in outputs[0])


def test_an_older_dated_copy_with_new_content_reruns(small_study, tmp_path):
    import os

    work = tmp_path / "w"
    shutil.copytree(small_study, work, ignore=shutil.ignore_patterns("locks"))
    assert "Nothing to be done" in run_snakemake(work, "--dry-run").stdout
    export = work / "data/raw/parents_foraeldre_foer.csv"
    stamp = export.stat().st_mtime
    text = export.read_text(encoding="utf-8-sig").replace("Aarhus", "Herning", 1)
    export.write_text("\ufeff" + text, encoding="utf-8")
    os.utime(export, (stamp - 86400, stamp - 86400))  # as `cp -p` of an older copy would
    proc = run_snakemake(work, "--dry-run")
    assert "rule ingest" in proc.stdout and "parents" in proc.stdout


def test_user_missing_codes_of_a_wide_spss_file_reach_the_log(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"id": ["A", "B", "C"], "kommune": ["Aarhus"] * 3,
                          "k1_1": [1.0, 9.0, 2.0], "k2_1": [2.0, 2.0, 9.0], "k1_2": [2.0, 3.0, 9.0],
                          "k2_2": [3.0, 3.0, 3.0]})
    path = tmp_path / "wide.sav"
    pyreadstat.write_sav(frame, str(path), missing_ranges={c: [9] for c in ("k1_1", "k2_1", "k1_2")})
    s = spec(path)
    s["exports"] = [{"path": str(path), "wide": {"pre": "_1", "post": "_2"}}]
    del s["columns"]["wave"]
    run_stages(make_study(s), tmp_path, stages=("ingest",))
    log = (tmp_path / "logs/s/ingest.log").read_text()
    assert "1 user-missing value(s) in column 'k1_1' read as missing" in log
    assert "1 user-missing value(s) in column 'k1_2' read as missing" in log


def test_the_last_scan_reads_texts_and_identifying_columns_not_computed_numbers(tmp_path):
    """A Wilcoxon V of 85,000 pairs (2101901234) or an amount in kroner is a computed
    number, not a CPR number: it does not stop a publication. The same digits as a
    group, in a text cell of the workbook, or anywhere in the report's text do."""
    from openpyxl import Workbook

    from evaluation.privacy import scan_publication

    def publication(group: str, statistic: object, text: object) -> Path:
        folder = tmp_path / f"p{len(list(tmp_path.iterdir()))}"
        (folder / "tables").mkdir(parents=True)
        pd.DataFrame({"outcome": ["x"], "from_wave": ["pre"], "to_wave": ["post"], "grouping": ["municipality"],
                      "group": [group], "wilcoxon_v": [statistic]}).to_csv(folder / "tables/results.csv", index=False)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("Resultater")
        sheet.append(["Gruppe", "Wilcoxon V"])
        sheet.append([text, statistic])
        book.save(folder / "tables.xlsx")
        return folder

    assert scan_publication(publication("Aarhus", 2101901234.0, "Aarhus")) == []
    found = scan_publication(publication("0101901234", 2101901234.0, "Aarhus"))
    assert [f.split(" (")[0] for f in found] == ["tables/results.csv"]
    found = scan_publication(publication("Aarhus", 2101901234.0, "Hans 0101901234"))
    assert [f.split(" (")[0] for f in found] == ["tables.xlsx"]
    folder = publication("Aarhus", 17.0, "Aarhus")
    (folder / "report.html").write_text("<p>Samlet: 2101901234</p>", encoding="utf-8")
    assert [f.split(" (")[0] for f in scan_publication(folder)] == ["report.html"]



def test_a_large_publication_is_scanned_by_two_processes_with_the_same_findings(tmp_path, monkeypatch):
    """From SCAN_SIDE_BY_SIDE bytes on, two processes take the files largest first;
    what they find comes back in the order of the files' paths, as one process gives."""
    from evaluation import privacy

    (tmp_path / "figures").mkdir()
    (tmp_path / "report.html").write_text("<p>0.25 1,5</p>" * 200_000 + "<p>Hans 111190-1112</p>", encoding="utf-8")
    (tmp_path / "a.json").write_text('{"n": 17}', encoding="utf-8")
    (tmp_path / "figures/b.svg").write_text("<svg>220190/2223</svg>", encoding="utf-8")
    (tmp_path / "z.txt").write_text("501902526", encoding="utf-8")
    monkeypatch.setattr(privacy, "SCAN_SIDE_BY_SIDE", 10**12)
    alone = privacy.scan_publication(tmp_path)
    monkeypatch.setattr(privacy, "SCAN_SIDE_BY_SIDE", 0)
    from evaluation import jobs

    calls = []
    original = jobs.map_in_turn
    monkeypatch.setattr(jobs, "map_in_turn", lambda f, items, ways=2: calls.append(ways) or original(f, items, ways))
    assert privacy.scan_publication(tmp_path) == alone
    assert [f.split(" (")[0] for f in alone] == ["figures/b.svg", "report.html", "z.txt"]
    assert calls == [2 if (__import__("os").cpu_count() or 1) > 1 else 1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789.,- /x\u0663", max_size=10), st.integers(0, 10))
def test_a_match_after_a_decimal_mark_is_found_in_place_as_by_searching_the_text_before_it(text, start):
    """The publication scan skips a CPR-like run that is a number's decimals. It looks
    at the two characters before the run instead of searching all the text before it:
    that search copied the text for every match (40,000 decimals: 45 s)."""
    import re

    from evaluation.privacy import _after_decimal_mark, find_cpr

    start = min(start, len(text))
    assert _after_decimal_mark(text, start) == bool(re.search(r"\d[.,]$", text[:start]))
    assert find_cpr("0.2501901234 " * 1000, numbers_only=True) == []


def test_a_parquet_file_written_beside_its_check_is_there_only_when_the_check_passed(tmp_path):
    """write_parquet(..., check=): the file is written while the check runs and moved
    into place only when it passed; a failed check or a failed write leaves the file
    that was there (or none) and no temporary file."""
    from evaluation.io import write_parquet

    frame = pd.DataFrame({"pid": pd.Series(["a", "b"], dtype="str"), "x": [1.0, np.nan]})
    write_parquet(frame, tmp_path / "plain.parquet")
    write_parquet(frame, tmp_path / "checked.parquet", check=lambda: None)
    assert (tmp_path / "plain.parquet").read_bytes() == (tmp_path / "checked.parquet").read_bytes()

    def failing():
        raise RuntimeError("internal check of x failed")

    with pytest.raises(RuntimeError, match="internal check"):
        write_parquet(frame.assign(x=2.0), tmp_path / "checked.parquet", check=failing)
    with pytest.raises(RuntimeError, match="internal check"):
        write_parquet(frame, tmp_path / "new.parquet", check=failing)
    unwritable = frame.assign(x=[object(), object()])  # Arrow cannot write it; the check passes
    with pytest.raises(Exception) as info:
        write_parquet(unwritable, tmp_path / "checked.parquet", check=lambda: None)
    assert not isinstance(info.value, RuntimeError) or "internal check" not in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checked.parquet", "plain.parquet"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "checked.parquet"), frame)
