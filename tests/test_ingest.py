"""Ingest: exports read as users see them, every row accounted for, no identifier out."""
from __future__ import annotations

import hashlib
import hmac

import zipfile

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_study, run_stages
from evaluation.ingest import (InvalidInputError, ingest_study, load_id_key, looks_like_cpr,
                               pseudonymize)

HEADER = "id;kommune;runde;k1;k2\n"


def spec(path, **extra) -> dict:
    return {
        "title": "t", "exports": [{"path": str(path)}],
        "columns": {"id": "id", "wave": "runde", "municipality": "kommune"},
        "waves": {"pre": ["før", 1], "post": ["efter", 2]},
        "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 5], "score": "sum",
                                "labels": {"Helt uenig": 1, "Helt enig": 5}}},
        "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}},
        **extra,
    }


def write(tmp_path, text: str, name="export.csv", encoding="utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_semicolon_bom_decimal_comma_and_labels(tmp_path):
    path = write(tmp_path, "\ufeff" + HEADER + "A1;Aarhus;før;Helt enig;2,0\nA1;Aarhus;efter;5;3\n")
    result = ingest_study(make_study(spec(path)), b"k")
    r = result.responses
    assert list(r["wave"]) == ["post", "pre"] or list(r["wave"]) == ["pre", "post"]
    assert sorted(r["k1"]) == [5.0, 5.0] and sorted(r["k2"]) == [2.0, 3.0]
    assert list(result.flow["status"]) == ["answered", "answered"]


def test_cp1252_comma_file(tmp_path):
    text = "id,kommune,runde,k1,k2\nA1,Halsnæs,1,1,2\nA1,Halsnæs,2,3,4\n"
    path = write(tmp_path, text, encoding="cp1252")
    result = ingest_study(make_study(spec(path)), b"k")
    assert set(result.responses["municipality"]) == {"Halsnæs"}


def test_pseudonym_is_the_contract_hmac(tmp_path, monkeypatch):
    raw = pd.Series(["A1", "B-2"])
    want = [hmac.new(b"secret", v.encode(), hashlib.sha256).hexdigest()[:16] for v in raw]
    assert pseudonymize(raw, b"secret").tolist() == want
    monkeypatch.setenv("EVALUATION_ID_KEY", "secret")
    assert load_id_key(tmp_path) == b"secret"


@settings(max_examples=200, deadline=None)
@given(key=st.one_of(st.sampled_from([0, 1, 63, 64, 65, 128, 129]).flatmap(lambda n: st.binary(min_size=n, max_size=n)),
                     st.binary(max_size=150)), ids=st.lists(st.one_of(st.text(max_size=70), st.integers()), max_size=5))
def test_pseudonyms_are_hmac_for_every_key_length(key, ids):
    """The pads hashed once (keys shorter than, equal to and longer than SHA-256's
    64-byte block, which is hashed first) give HMAC-SHA256 as the hmac module does."""
    from evaluation.ingest import _digests

    assert _digests(ids, key) == [hmac.digest(key, str(v).encode(), "sha256")[:8].hex() for v in ids]


def test_key_file_created_once(tmp_path, monkeypatch):
    monkeypatch.delenv("EVALUATION_ID_KEY", raising=False)
    key = load_id_key(tmp_path / "processed")
    assert len(key) == 64 and load_id_key(tmp_path / "processed") == key
    assert (tmp_path / "processed" / ".id_key").exists()
    assert (tmp_path / "processed" / ".id_key").stat().st_mode & 0o777 == 0o600


def _key_in_new_process(directory: str) -> bytes:
    return load_id_key(directory)


def test_concurrent_processes_agree_on_one_key(tmp_path, monkeypatch):
    """Issue 9: two ingest jobs raced to create .id_key; the loser read an empty file."""
    import concurrent.futures
    import multiprocessing

    monkeypatch.delenv("EVALUATION_ID_KEY", raising=False)
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(8, mp_context=context) as pool:
        for round_ in range(15):
            directory = str(tmp_path / f"r{round_}")
            keys = list(pool.map(_key_in_new_process, [directory] * 8))
            assert len(set(keys)) == 1 and len(keys[0]) == 64
            assert [p.name for p in (tmp_path / f"r{round_}").iterdir()] == [".id_key"]


def test_no_raw_id_leaves_ingest(tmp_path):
    path = write(tmp_path, HEADER + "PERSON-XYZ;Aarhus;før;1;2\nPERSON-XYZ;Aarhus;efter;1;2\n")
    result = ingest_study(make_study(spec(path)), b"k")
    for frame in (result.responses, result.flow):
        assert "PERSON-XYZ" not in frame.to_csv()


def test_invalid_value_message_names_file_line_column_value_rule(tmp_path):
    path = write(tmp_path, HEADER + "A1;Aarhus;før;1;2\n\nA1;Aarhus;efter;Måske;9\n")
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec(path)), b"k")
    text = str(info.value)
    assert "2 invalid value(s)" in text
    assert f"{path}, line 4, column 'k1': value 'Måske' — not a valid answer for own" in text
    assert f"{path}, line 4, column 'k2': value '9'" in text


def test_line_numbers_follow_quoted_newlines(tmp_path):
    text = 'id,kommune,runde,k1,k2,note\nA1,Aarhus,1,1,2,"two\nlines"\nA1,Aarhus,2,x,2,ok\n'
    path = write(tmp_path, text)
    with pytest.raises(InvalidInputError, match="line 4, column 'k1'"):
        ingest_study(make_study(spec(path)), b"k")


def test_cpr_number_is_invalid_and_never_echoed(tmp_path):
    path = write(tmp_path, HEADER + "A1;010203-1234;før;1;2\nA1;Aarhus;efter;1;2\n")
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec(path)), b"k")
    text = str(info.value)
    assert "looks like a CPR number" in text and "010203-1234" not in text and "line 2" in text


@pytest.mark.parametrize("value, want", [("010203-1234", True), ("0102031234", True),
                                         ("3102031234", False), ("010203-12345", False),
                                         ("Aarhus", False), (102031234, True)])
def test_looks_like_cpr(value, want):
    assert looks_like_cpr(value) is want


_CPR_PARTS = st.sampled_from(["0102031234", "010203-1234", "3102031234", "1112901112", "501902526", "\n", " ",
                              "-", "/", ".", ".0", "1", "0", "12", "x", "Å", "٣", "F", "010203"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.lists(_CPR_PARTS, max_size=6).map("".join), st.text(max_size=12), st.none(),
                          st.integers(0, 10**10), st.floats(allow_nan=True)), max_size=8))
def test_cpr_flags_of_many_values_are_those_of_each(values):
    """All values searched at once (joined by line breaks) flag what each alone does."""
    from evaluation.privacy import cpr_flags

    assert cpr_flags(values).tolist() == [looks_like_cpr(v) for v in values]


def test_unknown_wave_and_empty_id(tmp_path):
    path = write(tmp_path, HEADER + ";Aarhus;før;1;2\nA1;Aarhus;midt;1;2\n")
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec(path)), b"k")
    text = str(info.value)
    assert "line 2, column 'id': value '' — id is empty" in text
    assert "line 3, column 'runde': value 'midt' — unknown wave; allowed: 'før', '1', 'efter', '2'" in text


def test_missing_column_is_named(tmp_path):
    path = write(tmp_path, "id;runde;k1;k2\nA1;før;1;2\n")
    with pytest.raises(InvalidInputError, match="column 'kommune': value \\(absent\\) — required column missing"):
        ingest_study(make_study(spec(path)), b"k")


def test_unexpected_municipality(tmp_path):
    path = write(tmp_path, HEADER + "A1;Arhus;før;1;2\n")
    study = make_study(spec(path, expected={"municipality": ["Aarhus", "Herning"]}))
    with pytest.raises(InvalidInputError, match="'Arhus' — not an expected municipality; expected: Aarhus, Herning"):
        ingest_study(study, b"k")


def test_exact_duplicates_merged_conflicts_invalid(tmp_path):
    path = write(tmp_path, HEADER + "A1;Aarhus;før;1;2\nA1;Aarhus;før;1;2\nA1;Aarhus;efter;3;3\n"
                 "B1;Aarhus;før;1;2\nB1;Aarhus;før;4;2\n")
    study = make_study(spec(path), on_invalid="quarantine")
    result = ingest_study(study, b"k")
    flow = result.flow.set_index("line")
    assert flow.loc[2, "status"] == "answered" and flow.loc[3, "status"] == "duplicate"
    assert flow.loc[5, "status"] == "invalid" and flow.loc[6, "status"] == "invalid"
    assert "answered this wave more than once" in result.issues["rule"].iloc[0]
    with pytest.raises(InvalidInputError, match="more than once with different answers"):
        ingest_study(make_study(spec(path)), b"k")


def test_quarantine_sets_invalid_values_missing_and_lists_them(tmp_path):
    path = write(tmp_path, HEADER + "A1;Aarhus;før;7;2\nA1;Aarhus;efter;3;3\n")
    result = ingest_study(make_study(spec(path), on_invalid="quarantine"), b"k")
    assert result.responses["k1"].isna().sum() == 1
    assert result.issues[["line", "column", "value"]].values.tolist() == [[2, "k1", "'7'"]]


def test_two_exports_one_wave_each_and_a_questionnaire_per_export(tmp_path):
    pre = write(tmp_path, "id;kommune;k1;k2\nA1;Aarhus;1;2\nB1;Aarhus;2;2\n", "pre.csv")
    post = write(tmp_path, "id;kommune;k1;k2\nA1;Aarhus;3;3\n", "post.csv")
    s = spec(pre)
    s["exports"] = [{"path": str(pre), "wave": "pre"}, {"path": str(post), "wave": "post"}]
    del s["columns"]["wave"]
    result = ingest_study(make_study(s), b"k")
    assert result.flow["status"].value_counts().to_dict() == {"answered": 3}


# ------------------------------------------------------------ property test
rows = st.lists(st.tuples(st.sampled_from(["A", "B", "C", "D", "", "E"]),
                          st.sampled_from(["før", "efter", "midt"]),
                          st.sampled_from(["1", "2", "5", "", "9", "Helt enig"])),
                min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_every_input_row_appears_in_flow_exactly_once(tmp_path, data):
    text = HEADER + "".join(f"{i};Aarhus;{w};{v};1\n" for i, w, v in data)
    path = write(tmp_path, text)
    result = ingest_study(make_study(spec(path), on_invalid="quarantine"), b"k")
    flow = result.flow
    assert len(flow) == len(data)
    assert sorted(flow["line"]) == list(range(2, len(data) + 2))
    counts = flow["status"].value_counts()
    assert counts.sum() == len(data)
    answered = flow[flow["status"] == "answered"]
    # every answered person has exactly one kept row per wave
    assert not answered.duplicated(["pid", "wave"]).any()
    assert len(result.responses) == len(answered)
    assert not np.any(result.responses.duplicated(["pid", "wave"]))


def test_wide_file_with_wave_suffixes(tmp_path):
    path = write(tmp_path, "id;kommune;k1_1;k2_1;k1_2;k2_2\nA1;Aarhus;1;2;3;4\nB1;Aarhus;2;2;;\n")
    s = spec(path)
    s["exports"] = [{"path": str(path), "wide": {"pre": "_1", "post": "_2"}}]
    del s["columns"]["wave"]
    result = ingest_study(make_study(s), b"k")
    r = result.responses.sort_values(["pid", "wave"])
    a = r[r["pid"] == pseudonymize(pd.Series(["A1"]), b"k")[0]].set_index("wave")
    assert a.loc["pre", ["k1", "k2"]].tolist() == [1.0, 2.0] and a.loc["post", ["k1", "k2"]].tolist() == [3.0, 4.0]
    # a wide file's line appears once per wave
    assert sorted(zip(result.flow["line"], result.flow["wave"])) == [(2, "post"), (2, "pre"), (3, "post"), (3, "pre")]
    status = dict(zip(zip(result.flow["line"], result.flow["wave"]), result.flow["status"]))
    assert status == {(2, "pre"): "answered", (2, "post"): "answered",
                      (3, "pre"): "answered", (3, "post"): "no_answer"}
    assert len(result.responses) == 3


def test_wide_and_wave_exclude_each_other(tmp_path):
    from evaluation.config import ConfigError

    s = spec(tmp_path / "x.csv")
    s["exports"] = [{"path": "x.csv", "wave": "pre", "wide": {"pre": "_1", "post": "_2"}}]
    with pytest.raises(ConfigError, match="'wave' and 'wide' exclude each other"):
        make_study(s)


def test_cpr_numbers_never_reach_any_output_in_quarantine_mode(tmp_path):
    """CPR numbers in every form (issue 9) in an id, group values, items, an unconfigured
    column and the export's file name: none reaches any output, processed or published."""
    text = ("id;kommune;runde;k1;k2;note\n"
            "010203-1234;Aarhus;før;1;2;ring 0102031234\n"
            "010203-1234;Aarhus;efter;2;3;101090 1011\n"
            "B1;1103041234;før;1;1;\n"
            "B1;Aarhus;efter;2;0405061234;\n"
            "C1;Hans Hansen 111190-1112;før;1;1;\n"
            "C1;Aarhus;efter;501902526;1;\n"
            "D1;220190/2223;før;1;0601902627.0;\n"
            "D1;Aarhus;efter;1;2;\n")
    path = write(tmp_path, text, name="udtræk 230190.2324.csv")
    study = make_study(spec(path), on_invalid="quarantine")
    processed, reports = tmp_path / "data" / "processed" / "s", tmp_path / "reports" / "s"
    run_stages(study, tmp_path)
    texts = []
    for path in [*processed.rglob("*"), *reports.rglob("*"), *(tmp_path / "logs").rglob("*.log")]:
        if path.suffix == ".parquet":
            texts.append(pd.read_parquet(path).to_csv())
        elif path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as z:
                texts += [z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml")]
        elif path.is_file() and path.suffix != ".png":
            texts.append(path.read_text())
    blob = "\n".join(texts)
    assert len(texts) > 30 and "looks like a CPR number" in blob
    for cpr in ("010203-1234", "0102031234", "1103041234", "0405061234", "111190-1112", "501902526",
                "220190/2223", "0601902627", "101090 1011", "230190.2324"):
        assert cpr not in blob, cpr


def _merge_row_by_row(rows, study, item_columns, asked_columns):
    """The duplicate merge as it was written first, one group and one row at a time:
    the reference the vectorized ingest._merge_duplicates is held to."""
    from evaluation.ingest import Problem, _shown

    problems = []
    rows = rows.copy()
    no_answer = rows["no_answer"].fillna(False).astype(bool) if "no_answer" in rows else False
    rows["status"] = np.select([rows["row_problem"].notna(), no_answer], ["invalid", "no_answer"], "kept")
    rows["reason"] = rows["row_problem"].where(rows["row_problem"].notna(),
                                               np.where(no_answer, "no item of any instrument answered", None))
    ok = rows["status"] == "kept"
    compare = [*study.group_columns, *item_columns]
    keyed = rows[ok]
    dup = keyed.duplicated(["raw_id", "wave"], keep=False)
    for _, group in keyed[dup].groupby(["raw_id", "wave"], sort=False):
        first = group.index[0]
        merged = group.loc[first, compare].copy()
        asked = group.loc[first, asked_columns].copy()
        conflict = None
        for idx in group.index[1:]:
            other = group.loc[idx, compare]
            both = merged.notna() & other.notna()
            differs = both & (merged.astype(str) != other.astype(str))
            if differs.any():
                conflict = (idx, differs[differs].index[0])
                break
            merged = merged.where(merged.notna(), other)
            asked = asked | group.loc[idx, asked_columns].astype(bool)
        if conflict:
            idx, column = conflict
            lines = ", ".join(str(v) for v in group["line"])
            problems.append(Problem(rows.at[idx, "source"], int(rows.at[idx, "line"]),
                                    study.columns.get(column, column), _shown(group.at[idx, column]),
                                    f"the same person answered this wave more than once with "
                                    f"different answers (lines {lines})"))
            rows.loc[group.index, "status"] = "invalid"
            rows.loc[group.index, "reason"] = "conflicting answers for the same person and wave"
            continue
        rows.loc[first, compare] = merged.to_numpy()
        rows.loc[first, asked_columns] = asked.to_numpy()
        rows.loc[group.index[1:], "status"] = "duplicate"
        rows.loc[group.index[1:], "reason"] = (
            f"same person and wave as {rows.at[first, 'source']} line {rows.at[first, 'line']}; merged")
    return rows, problems


answer = st.sampled_from([None, 1.0, 2.0])
record = st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["pre", "post"]),
                   st.sampled_from([None, "Aarhus", "Vejle"]), answer, answer, st.booleans(), st.booleans(),
                   st.sampled_from([None, None, None, "id is empty"]))


@settings(max_examples=150, deadline=None)
@given(st.lists(record, min_size=1, max_size=12))
def test_the_duplicate_merge_equals_merging_row_by_row(records):
    """Every status, reason, merged value and problem as when each person and wave's
    rows are merged one after the other (a conflict stops at its first differing row)."""
    from types import SimpleNamespace

    from evaluation.ingest import _merge_duplicates

    rows = pd.DataFrame(records, columns=["raw_id", "wave", "municipality", "k1", "k2", "a__asked", "b__asked",
                                          "row_problem"])
    rows["source"] = [f"export {1 + i % 2}.csv" for i in range(len(rows))]
    rows["line"] = np.arange(2, len(rows) + 2)
    rows["municipality"] = rows["municipality"].astype(object)
    rows["row_problem"] = rows["row_problem"].astype(object)
    study = SimpleNamespace(group_columns=["municipality"], columns={"municipality": "kommune"})
    got, got_problems = _merge_duplicates(rows, study, ["k1", "k2"], ["a__asked", "b__asked"])
    want, want_problems = _merge_row_by_row(rows, study, ["k1", "k2"], ["a__asked", "b__asked"])
    assert got_problems == want_problems
    for column in want.columns:
        assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), column


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.text(max_size=6)), st.integers(-10**12, 10**12),
                          st.sampled_from(["pre", "post", None, "", " x "])), min_size=1, max_size=30))
def test_large_csv_writer_gives_the_bytes_pandas_gives(tmp_path_factory, records):
    """io.write_csv writes big text-and-integer tables with Arrow: the same bytes as
    pandas' to_csv (quotes, empty and missing cells, unicode, header), and tables it
    cannot write the same way (nullable floats, text needing quotes) are left to pandas."""
    from evaluation import io as eio

    folder = tmp_path_factory.mktemp("csv")
    frame = pd.DataFrame(records * (eio._FAST_CSV_ROWS // len(records) + 1), columns=["text", "n", "wave"])
    frame["text"] = frame["text"].astype("string")
    frame["wave"] = frame["wave"].astype(object)
    eio.write_csv(frame, folder / "fast.csv")
    frame.to_csv(folder / "pandas.csv", index=False, encoding="utf-8")
    assert (folder / "fast.csv").read_bytes() == (folder / "pandas.csv").read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e6, 1e6).map(round),
                          st.sampled_from([0.0, -0.0, 1e-05, 1e16, 0.1 + 0.2, 5e-324, 1.7976931348623157e308])),
                min_size=1, max_size=40), st.booleans())
def test_large_csv_writer_writes_floats_as_pandas_does(tmp_path_factory, numbers, single):
    """Float columns go through the fast writer as the text pandas writes: the same
    bytes as to_csv for any float (NaN empty, infinities, -0.0, shortest round trip,
    exponents) in float64 and float32."""
    from evaluation import io as eio

    folder = tmp_path_factory.mktemp("floats")
    repeat = eio._FAST_CSV_ROWS // len(numbers) + 1
    frame = pd.DataFrame({"pid": [f"p{k}" for k in range(len(numbers) * repeat)], "x": numbers * repeat})
    if single:
        with np.errstate(over="ignore"):  # the largest floats are infinite in float32
            frame["y"] = frame["x"].astype("float32")
    assert eio._write_csv_fast(frame, folder / "fast.csv")
    frame.to_csv(folder / "pandas.csv", index=False, encoding="utf-8")
    assert (folder / "fast.csv").read_bytes() == (folder / "pandas.csv").read_bytes()


def test_large_csv_writer_takes_the_fast_path_only_when_it_is_exact(tmp_path):
    from evaluation import io as eio

    n = eio._FAST_CSV_ROWS
    plain = pd.DataFrame({"pid": ["a1"] * n, "line": range(n)})
    assert eio._write_csv_fast(plain, tmp_path / "a.csv")
    assert not eio._write_csv_fast(plain.assign(x=pd.array([0.5] * n, dtype="Float64")), tmp_path / "b.csv")
    assert not eio._write_csv_fast(plain.assign(pid="a,1"), tmp_path / "c.csv")  # would need quotes
    assert not eio._write_csv_fast(plain.head(10), tmp_path / "d.csv")  # small: pandas


cell = st.text(alphabet=st.sampled_from(list("ab1 \t\xa0\x1c\u3000æ,;")), max_size=4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(cell, min_size=1, max_size=4), min_size=1, max_size=8), st.sampled_from([";", ","]),
       st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_every_csv_reader_gives_the_cells_and_lines_of_the_csv_module(rows, delimiter, newline, final):
    """Arrow's reader and pandas' C parser, where they take a text, give the cells and
    line numbers of Python's csv module: blank rows (only spaces of any kind and
    delimiters) left out, short rows filled, empty lines skipped."""
    from evaluation.ingest import _read_csv_arrow, _read_csv_module, _read_csv_unquoted

    header = delimiter.join(f"h{k}" for k in range(len(rows[0])))
    text = newline.join([header, *(delimiter.join(r) for r in rows)]) + (newline if final else "")
    want, want_lines = _read_csv_module(text, delimiter)
    for reader, given in ((_read_csv_arrow, text.encode("utf-8")), (_read_csv_unquoted, text)):
        got = reader(given, delimiter)
        if got is None:
            continue
        frame, lines = got
        assert list(frame.columns) == list(want.columns)
        assert frame.astype(object).values.tolist() == want.values.tolist(), reader.__name__
        assert lines.tolist() == want_lines.tolist(), reader.__name__


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("header", ["id;k1", "id"])
def test_an_empty_line_is_left_out_with_the_lines_after_it_numbered_as_in_the_file(tmp_path, newline, header):
    from evaluation.ingest import _read_csv, _read_csv_module

    text = newline.join([header, "1;2" if ";" in header else "1", "", "", "3;x" if ";" in header else "3", ""])
    frame, lines = _read_csv_module(text, ";")
    assert lines.tolist() == [2, 5]
    path = tmp_path / "e.csv"
    path.write_bytes(text.encode("utf-8"))
    got, got_lines = _read_csv(path, {})
    assert got.astype(object).values.tolist() == frame.values.tolist() and got_lines.tolist() == [2, 5]


def test_arrow_reads_a_plain_export():
    """The common export (no quotes, every row as wide as the header) is Arrow's, as categories."""
    from evaluation.ingest import _read_csv_arrow

    frame, lines = _read_csv_arrow("id;k1\n1;2\n;\n\xa0; \n3;x\n".encode("utf-8"), ";")
    assert frame.values.tolist() == [["1", "2"], ["3", "x"]] and lines.tolist() == [2, 5]
    assert isinstance(frame["id"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize("whole_below", [0, 10**9])
def test_parquet_columns_give_what_the_table_gives(tmp_path, whole_below):
    """io.ParquetColumns (read column by column, or whole when small) answers as the
    DataFrame it was written from; the score stage and the reliabilities read it so."""
    from evaluation.io import ParquetColumns, give_back_memory, write_parquet

    frame = pd.DataFrame({"pid": ["a", "b", "c"], "k1": [1.0, None, 3.0], "k2": [0.0, 1.0, 2.0],
                          "w__asked": [True, False, True]})
    write_parquet(frame, tmp_path / "r.parquet")
    columns = ParquetColumns(tmp_path / "r.parquet", whole_below=whole_below)
    assert len(columns) == 3 and "k1" in columns and "x" not in columns
    assert list(columns.columns) == list(frame.columns)
    pd.testing.assert_series_equal(columns["k1"], frame["k1"])
    pd.testing.assert_frame_equal(columns[["k2", "pid"]], frame[["k2", "pid"]])
    give_back_memory()  # harmless anywhere


def test_pseudonyms_made_on_two_cores_are_the_ones_made_on_one(monkeypatch):
    """Half of a large study's ids are hashed by a forked process: the same pseudonyms,
    in the same places, missing ids staying missing."""
    import importlib

    ingest_module = importlib.import_module("evaluation.ingest")  # the package's `ingest` is a function
    ids = pd.Series([f"{i:06d}" for i in range(2000)] * 2 + [None, "000007"])
    key = b"k" * 32
    one = ingest_module.pseudonymize(ids, key)
    monkeypatch.setattr(ingest_module, "PARALLEL_IDS", 10)  # 2,001 distinct ids: two processes
    two = ingest_module.pseudonymize(ids, key)
    pd.testing.assert_series_equal(one, two)
    assert one.iloc[7] == hmac.digest(key, b"000007", "sha256").hex()[:16] == one.iloc[-1]
    assert pd.isna(one.iloc[-2])
