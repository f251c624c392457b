"""Ingest: read every export, map columns and waves, validate, pseudonymize.

The only stage that sees raw exports. What leaves it:

* ``responses``: one row per person x wave with ``pid`` (keyed pseudonym),
  ``wave`` (a wave id of the config), the mapped group columns (``family`` pseudonymized too),
  the numeric item codes of every configured instrument, and per instrument a
  boolean ``<instrument>__asked`` (the person's export carried its items);
* ``flow``: the fate of every input row (CONTRACT section 4, ``flow.csv``);
* ``issues``: every invalid value found (CONTRACT section 5).

Columns not named in the config are never read past this module, and raw ids
never leave it. Values that look like CPR numbers are never echoed in messages.
"""
from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from .config import Study
from .io import file_sha256, give_back_memory
from .jobs import in_thread
from .privacy import CPR_MASK, cpr_flags, looks_like_cpr, mask_cpr

__all__ = [
    "InvalidInputError", "Problem", "IngestResult", "ingest_study", "read_export",
    "pseudonymize", "load_id_key", "looks_like_cpr", "FLOW_COLUMNS", "ISSUE_COLUMNS",
]

FLOW_COLUMNS = ["source", "line", "pid", "wave", "status", "reason"]
ISSUE_COLUMNS = ["source", "line", "column", "value", "rule"]
MAX_MESSAGES = 50


# ----------------------------------------------------------------------- problems
@dataclass(frozen=True)
class Problem:
    """One invalid value: where it is (as the user sees the file) and the rule it breaks."""

    source: str
    line: int | None
    column: str
    value: str
    rule: str
    fatal: bool = False  # the file cannot be read value by value: stops even in quarantine mode

    def message(self) -> str:
        where = f"{self.source}, line {self.line}" if self.line else self.source
        return mask_cpr(f"{where}, column {self.column!r}: value {self.value} — {self.rule}")


class InvalidInputError(ValueError):
    """The exports hold invalid values and ``on_invalid`` is ``stop``."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = [p.message() for p in problems[:MAX_MESSAGES]]
        more = len(problems) - MAX_MESSAGES
        tail = [f"... and {more} more problems"] if more > 0 else []
        super().__init__(
            f"{len(problems)} invalid value(s) in the exports; nothing was published. "
            "Fix the exports, or set analysis.on_invalid: quarantine to set them missing "
            "and list them in data_issues.csv.\n" + "\n".join(shown + tail))

    def __reduce__(self):  # travels back from a worker process as itself (evaluation.jobs)
        return type(self), (self.problems,)


def _shown(value: object) -> str:
    """A value as it may appear in a message: CPR-like values are never echoed."""
    if looks_like_cpr(value):
        return CPR_MASK
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "''"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


# ------------------------------------------------------------------- pseudonyms
def load_id_key(processed_dir: str | Path = "data/processed") -> bytes:
    """The pseudonymization key: ``EVALUATION_ID_KEY``, else ``<processed>/.id_key``.

    The key file is created at random on first use, atomically: the key is written
    to a private temporary file which is then hard-linked to its name. A link
    either appears whole or fails because the name exists, so processes that start
    at the same time agree on one key and no reader ever sees a half-written file.
    """
    env = os.environ.get("EVALUATION_ID_KEY")
    if env:
        return env.encode("utf-8")
    path = Path(processed_dir) / ".id_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".id_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass  # another process created it first: use theirs
        finally:
            os.unlink(tmp)
    text = path.read_text().strip()
    if not text:
        raise RuntimeError(f"{path} is empty; delete it to create a new key "
                           "(earlier pseudonyms cannot be reproduced without the old key)")
    return text.encode("utf-8")


PARALLEL_IDS = 300_000  # distinct ids from which half of their pseudonyms are made by a forked process


def pseudonymize(raw_ids: pd.Series, key: bytes) -> pd.Series:
    """First 16 hex digits of HMAC-SHA256(key, raw id as UTF-8) (CONTRACT section 4).
    Each distinct id is hashed once; from :data:`PARALLEL_IDS` of them on, half in a
    forked process (:func:`evaluation.jobs.side_by_side`; at 10^6 people 3.5 s of
    hashing, and worth a fork)."""
    from .jobs import side_by_side

    which, uniques = pd.factorize(raw_ids, use_na_sentinel=True)
    uniques = np.asarray(uniques, dtype=object).tolist()  # a list: Arrow text element by element is slow
    if len(uniques) >= PARALLEL_IDS:
        half = len(uniques) // 2
        parts = side_by_side(lambda: _digests(uniques[:half], key), lambda: _digests(uniques[half:], key))
    else:
        parts = [_digests(uniques, key)]
    digests = np.array([d for part in parts for d in part] + [np.nan], dtype=object)
    return pd.Series(digests[which], index=raw_ids.index, name=raw_ids.name)


def _digests(ids, key: bytes) -> list[str]:
    """HMAC-SHA256(key, id)[:8] in hex for every id (RFC 2104 written out, as the
    ``hmac`` module does): SHA-256 of the key's outer pad and SHA-256 of its inner
    pad and the id, both pads hashed once and copied per id. ``hmac.digest`` hashes
    the pads again for every id (twice the work: 0.14 s against 0.06 s for 100,000
    ids). Equal to ``hmac.digest`` (tested)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner_pad, outer_pad = hashlib.sha256(key.translate(_INNER)), hashlib.sha256(key.translate(_OUTER))
    out = []
    for v in ids:
        inner = inner_pad.copy()
        inner.update(str(v).encode("utf-8"))
        outer = outer_pad.copy()
        outer.update(inner.digest())
        out.append(outer.digest()[:8].hex())
    return out


_BLOCK = 64  # SHA-256's block size in bytes
_INNER = bytes(x ^ 0x36 for x in range(256))
_OUTER = bytes(x ^ 0x5C for x in range(256))


# ------------------------------------------------------------------------ readers
def _read_csv(path: Path, spec: Mapping) -> tuple[pd.DataFrame, np.ndarray]:
    """Every non-blank row of a CSV export as text cells, with its line in the file.

    Exports without a quote character (every line is one row) are read by Arrow's
    CSV reader (:func:`_read_csv_arrow`), or where it cannot (an empty line, a short
    row) by pandas' C parser; the others, and any whose rows have more fields than
    the header, by Python's csv module, which follows quoted line breaks and names
    the ragged lines. All give the same cells and lines (tested)."""
    data = path.read_bytes()
    encoding = spec.get("encoding")
    marked = data.startswith(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark
    if encoding:
        text, utf8 = data.decode(encoding), None
    else:  # UTF-8 (with or without the mark), else (without one) Windows-1252
        text, utf8 = None, data[3:] if marked else data
    del data
    delimiter = spec.get("delimiter")
    if not delimiter:
        header = text.split("\n", 1)[0] if text is not None else \
            _first_line(utf8).decode("utf-8", errors="replace")
        counts = {d: header.count(d) for d in (";", ",", "\t", "|")}
        delimiter = max(counts, key=counts.get)
    fast = None
    if utf8 is not None:
        # UTF-8 bytes go to Arrow as they are (no text copy of a large export)
        fast = _read_csv_arrow(utf8, delimiter)
        if fast is not None:
            return fast
        try:
            text = utf8.decode("utf-8")
        except UnicodeDecodeError:
            if marked:
                raise
            text, utf8 = utf8.decode("cp1252"), None
    if utf8 is None:  # text from another encoding: Arrow reads it as UTF-8
        fast = _read_csv_arrow(text.encode("utf-8"), delimiter)
    if fast is None:
        fast = _read_csv_unquoted(text, delimiter)
    return fast if fast is not None else _read_csv_module(text, delimiter)


def _first_line(data: bytes) -> bytes:
    """The bytes before the first line break (without copying the rest, as split does)."""
    end = data.find(b"\n")
    return data if end < 0 else data[:end]


def _read_csv_module(text: str, delimiter: str) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`_read_csv` by Python's csv module: quoted fields (with line breaks),
    short rows, and rows longer than the header (named as ragged)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows, lines, ragged = [], [], []
    line = reader.line_num + 1
    for record in reader:
        if header is None:
            header = [h.strip() for h in record]
        elif record and any(field.strip() for field in record):
            if len(record) < len(header):  # trailing empty fields left out: harmless
                record = record + [""] * (len(header) - len(record))
            elif len(record) > len(header) and any(f.strip() for f in record[len(header):]):
                ragged.append((line, len(record)))  # values would shift: never guess
            rows.append(record[: len(header)])
            lines.append(line)
        line = reader.line_num + 1
    frame = pd.DataFrame(rows, columns=header or [], dtype=object)
    frame.attrs["ragged"] = ragged
    frame.attrs["delimiter"] = delimiter
    return frame, np.asarray(lines, dtype="int64")


# every character Python's str.strip() removes (str.isspace), as a regular-expression class
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"


def _read_csv_arrow(data: bytes, delimiter: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """:func:`_read_csv` by Arrow's CSV reader, every column as categories (a national
    export of 130 million cells took 5 GB as Python strings, 1.2 GB as Arrow text and
    0.2 GB as categories; what ingest does per distinct value then starts from the
    codes), or None where it would not give
    the same cells and lines as Python's csv module: quotes, a lone carriage return,
    an empty line (Arrow skips or rejects it), a row shorter or longer than the header.
    Rows whose every field is blank are left out, as :func:`_read_csv` does."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    try:
        first = _first_line(data).decode("utf-8")
    except UnicodeDecodeError:
        return None
    # each pass over a national export costs: carriage returns counted only where there are any
    # (an empty line needs no search of its own: Arrow reads it as a blank row, which is
    # left out below with the lines after it numbered as in the file)
    returns = data.count(b"\r") if b"\r" in data else 0
    if (b'"' in data or not first.strip() or data.startswith(b"\n")
            or (returns and (returns != data.count(b"\r\n") or b"\n\r\n" in data))):
        return None
    width = first.count(delimiter) + 1
    names = [f"c{k}" for k in range(width)]
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 20),  # 1 MB: blocks for both cores
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char=False, escape_char=False,
                                              newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.dictionary(pa.int32(), pa.string())
                                                               for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeError):
        return None
    header = [str(table.column(k)[0].as_py()).strip() for k in range(width)] if len(table) else []
    if not header:
        return None
    data = table.slice(1)
    # a row with some non-blank field: decided column by column for the rows still undecided
    # (the id column decides almost every row)
    undecided = np.arange(len(data))
    for k in range(width):
        if not len(undecided):
            break
        column = data.column(k).take(pa.array(undecided)) if len(undecided) < len(data) else data.column(k)
        blank = pc.match_substring_regex(column.cast(pa.string()), f"^[{_SPACE}]*$")
        undecided = undecided[blank.to_numpy(zero_copy_only=False)]
    filled = np.ones(len(data), dtype=bool)
    filled[undecided] = False
    if not filled.all():
        data = data.filter(pa.array(filled))
    frame = data.to_pandas()
    frame.columns = header
    frame.attrs["ragged"] = []
    frame.attrs["delimiter"] = delimiter
    return frame, (np.flatnonzero(filled) + 2).astype("int64")


def _read_csv_unquoted(text: str, delimiter: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """:func:`_read_csv` by pandas' C parser, or None where only Python's csv module
    reads the text right: quotes (a quoted field may hold the delimiter or a line
    break), a lone carriage return, a blank first line, a row longer than the header."""
    if '"' in text or text.count("\r") != text.count("\r\n") or not text.split("\n", 1)[0].strip():
        return None
    try:
        cells = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=object, na_filter=False,
                            skip_blank_lines=False, engine="c", quoting=csv.QUOTE_NONE)
    except (pd.errors.ParserError, ValueError):
        return None
    lines = text.split("\n")
    if lines and not lines[-1]:
        lines.pop()  # the file's last line break
    if len(lines) != len(cells):
        return None
    if min(line.count(delimiter) for line in lines) < lines[0].count(delimiter):
        cells = cells.fillna("")  # a short row: its missing trailing fields are empty
    # a row with some non-blank field (rows of blanks and delimiters are skipped)
    filled = np.array([bool(line.replace(delimiter, "").strip()) for line in lines[1:]], dtype=bool)
    frame = cells.iloc[1:][filled] if not filled.all() else cells.iloc[1:]
    frame = frame.reset_index(drop=True)
    frame.columns = [str(h).strip() for h in cells.iloc[0]]
    frame.attrs["ragged"] = []
    frame.attrs["delimiter"] = delimiter
    return frame, (np.flatnonzero(filled) + 2).astype("int64")


def read_export(spec: Mapping) -> tuple[pd.DataFrame, np.ndarray]:
    """Read one export as text-or-number cells, with each row's line as the user sees it.

    CSV: line in the file (header = 1); XLSX: row in the sheet; SAV, DTA and
    Parquet: case number + 1, so that the header counts as row 1 everywhere.
    """
    path = Path(spec["path"])
    if not path.exists():
        raise FileNotFoundError(f"export {path} does not exist (from config exports: path)")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, spec)
    if suffix == ".xlsx":
        return _read_xlsx(path, spec)
    elif suffix in (".sav", ".dta"):
        frame = _read_statistical(path, suffix)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:  # the config schema only lets the formats above through
        raise ValueError(f"{path}: unknown export format {suffix}")
    attrs = dict(frame.attrs)
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.astype(object)
    frame.attrs.update(attrs)
    return frame, np.arange(2, len(frame) + 2, dtype="int64")


def _read_xlsx(path: Path, spec: Mapping) -> tuple[pd.DataFrame, np.ndarray]:
    """An Excel sheet: the named one, else the first visible one (a hidden sheet is
    never read unless named). Blank rows are skipped, as in CSV; a formula cell
    without a stored value is kept as the marker ``FORMULA_WITHOUT_VALUE``."""
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheet = spec.get("sheet")
    if sheet is None:
        visible = [m.name for m in book.sheets_metadata if str(m.visible).lower().endswith("visible")
                   and "hidden" not in str(m.visible).lower()]
        if not visible:
            raise ValueError(f"{path}: the workbook has no visible sheet; name one with 'sheet:'")
        sheet = visible[0]
    elif isinstance(sheet, int):
        sheet = book.sheet_names[sheet]
    # calamine (Rust) reads the same cells as openpyxl, ten times faster
    rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header = [str(h).strip() if h not in (None, "") else f"Unnamed: {i}" for i, h in enumerate(rows[0])] \
        if rows else []
    body = [list(r) + [""] * (len(header) - len(r)) for r in rows[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object) if header else pd.DataFrame()
    frame = frame.map(lambda v: None if isinstance(v, str) and v == "" else v).astype(object)
    lines = np.arange(2, len(frame) + 2, dtype="int64")
    formulas = False
    for r, c in _formulas_without_values(path, sheet):
        if 0 <= r - 2 < len(frame) and c < len(header) and pd.isna(frame.iat[r - 2, c]):
            frame.iat[r - 2, c] = FORMULA_WITHOUT_VALUE
            formulas = True
    blank = frame.isna().all(axis=1).to_numpy() if len(frame.columns) else np.zeros(len(frame), bool)
    frame = frame[~blank].reset_index(drop=True)
    frame.attrs["formulas"] = formulas  # ingest looks for the marker only then
    return frame, lines[~blank]


FORMULA_WITHOUT_VALUE = "(formula without a stored value)"


def _formulas_without_values(path: Path, sheet: str) -> list[tuple[int, int]]:
    """(row, column) of every formula cell of a sheet (1-based row, 0-based column)."""
    import zipfile

    import openpyxl

    with zipfile.ZipFile(path) as z:  # most exports have no formula: skip the slow reader
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]
        if not any(b"<f>" in x or b"<f " in x for x in sheets):
            return []
    book = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        out = []
        for row in book[sheet].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    out.append((cell.row, cell.column - 1))
        return out
    finally:
        book.close()


def _read_statistical(path: Path, suffix: str) -> pd.DataFrame:
    """An SPSS or Stata file: user-missing codes set missing (and counted), value labels applied.

    The raw codes are read first so that user-missing values (SPSS missing values
    and ranges, e.g. 99 = "Ved ikke") can be recognised by code; every labelled
    value is then replaced by its label, which the instruments map to their own
    codes (an export numbered 1-3 and one numbered 0-2 give the same answers).
    The number of user-missing values per column is kept in ``frame.attrs``.
    """
    import pyreadstat

    reader = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    frame, meta = reader(str(path), user_missing=True)
    counted: dict[str, int] = {}
    for column in frame.columns:
        values = frame[column]
        missing = pd.Series(False, index=frame.index)
        for value in (meta.missing_user_values or {}).get(column, []):
            missing |= values == value
        for bounds in (meta.missing_ranges or {}).get(column, []):
            if pd.api.types.is_numeric_dtype(values):
                missing |= values.between(bounds["lo"], bounds["hi"])
            else:
                missing |= values == bounds["lo"]
        if missing.any():
            counted[column] = int(missing.sum())
        out = values.astype(object).where(~missing, None)
        labels = (meta.variable_value_labels or {}).get(column)
        if labels:
            out = out.map(lambda v, lab=labels: lab.get(v, v) if v is not None else None)
        frame[column] = out
    frame.attrs["user_missing"] = counted
    return frame


# ------------------------------------------------------------------------- ingest
@dataclass
class IngestResult:
    responses: pd.DataFrame
    flow: pd.DataFrame
    issues: pd.DataFrame
    notes: list[str]
    inputs: list[dict]  # per export: its position ("export 1"), path and the SHA-256 of the bytes read
    missing_codes: dict[str, int] = field(default_factory=dict)  # instrument -> answers given as a missing code
    people: pd.DataFrame | None = None  # one row per person with an answered wave: pid, groups, included
    group_changes: dict[str, int] = field(default_factory=dict)  # group -> people with another value later
    cost_items: pd.DataFrame | None = None  # the cost sheet's valid items (evaluation.costs), when configured
    fidelity: pd.DataFrame | None = None  # the fidelity sheet's rows: unit (pseudonym), element, delivered


def _distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's code (-1: empty) and the distinct values (an object array), as
    ``pd.factorize``; a categorical column (as the readers give) keeps its own codes
    and categories (unused ones included: 63 answer columns of 185,000 rows took
    0.08 s to factorize again)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories.to_numpy(dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _per_distinct(values: pd.Series, func, missing) -> np.ndarray:
    """``func`` of the distinct values (all at once: a boolean array), spread to the cells
    (``missing`` for empty ones): an export of 10^5 people has far fewer distinct
    groups than cells."""
    codes, uniques = _distinct(values)
    return np.r_[np.asarray(func(uniques), dtype=bool), missing][codes]


def _as_text(values: pd.Series) -> pd.Series:
    """Group and id cells as trimmed text (1 and 1.0 alike); blanks become NA (decided
    once per distinct value)."""
    def one(v):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        text = str(v).strip()
        return text or None
    codes, uniques = _distinct(values)
    texts = np.array([one(v) for v in uniques] + [None], dtype=object)  # the last: an empty cell
    return pd.Series(texts[codes], index=values.index, dtype=object)


_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}  # control and format characters: zero-width space, BOM, ...


def clean_text(text: str) -> tuple[str, int]:
    """Unicode NFC with control and invisible characters removed, and how many were.

    "Å" typed as one character or as "A" + ring, or with a zero-width space inside,
    is then one group, not two that look the same.

    >>> clean_text("A\u030arhus\u200b")
    ('Århus', 1)
    """
    normal = unicodedata.normalize("NFC", text)
    kept = "".join(ch for ch in normal if ch in "\t" or unicodedata.category(ch) not in _INVISIBLE)
    return kept, len(normal) - len(kept)


def _clean_text_cells(raw: pd.DataFrame, columns: set[str]) -> tuple[pd.DataFrame, int]:
    """:func:`clean_text` of every text cell of ``columns``, decided once per distinct
    value; returns the frame (a copy only where something changed) and the number of
    characters removed."""
    removed = 0
    out = raw
    for column in [c for c in raw.columns if c in columns]:
        values = raw[column]
        codes, uniques = _distinct(values)
        # printable ASCII is NFC and holds no invisible character: most ids and codes
        cleaned = [clean_text(v) if isinstance(v, str) and not (v.isascii() and v.isprintable()) else (v, 0)
                   for v in uniques]
        changed = np.array([isinstance(v, str) and c != v for v, (c, _) in zip(uniques, cleaned)], dtype=bool)
        if not changed.any():
            continue
        if out is raw:
            out = raw.copy()
        new = np.array([c for c, _ in cleaned] + [None], dtype=object)
        keep = np.r_[~changed, True][codes]  # unchanged values and empty cells stay as they are
        out[column] = np.where(keep, values.to_numpy(dtype=object), new[codes])
        removed += int(np.bincount(codes[codes >= 0], minlength=len(uniques))[changed]
                       @ np.array([n for _, n in cleaned])[changed])
    return out, removed


def _bin(values: pd.Series, bins: list[float], labels: list[str]) -> tuple[pd.Series, pd.Series]:
    """Labels of left-closed, right-open bins; a value that is no number or outside
    every bin is flagged (and left empty).

    >>> _bin(pd.Series(["9", "10", "13,5", "x", None, "20"]), [0, 10, 14, 18], ["a", "b", "c"])[0].tolist()
    ['a', 'b', 'b', None, None, None]
    """
    def number(v):
        try:
            return float(str(v).strip().replace(",", "."))
        except ValueError:
            return math.nan

    x = values.map(lambda v: number(v) if v is not None else math.nan).astype(float)
    idx = np.searchsorted(np.asarray(bins, dtype=float), x.to_numpy(), side="right") - 1
    inside = (idx >= 0) & (idx < len(labels)) & np.isfinite(x.to_numpy())
    out = pd.Series([labels[i] if ok else None for i, ok in zip(idx, inside)], index=values.index, dtype=object)
    return out, values.notna() & ~pd.Series(inside, index=values.index)


def _header_problems(source: str, raw: pd.DataFrame, lines: np.ndarray) -> list[Problem]:
    """Problems that make a whole export unreadable: no rows, a duplicated header
    name, rows with more fields than the header (a delimiter inside a value)."""
    problems = []
    if len(raw) == 0:
        problems.append(Problem(source, None, "(file)", "(no data rows)", "the export has no data rows", True))
    names = pd.Series(list(raw.columns))
    for name in names[names.duplicated()].unique():
        problems.append(Problem(source, 1, str(name), "(header)",
                                f"the column name appears {int((names == name).sum())} times in the header",
                                True))
    delimiter = raw.attrs.get("delimiter", ",")
    for line, n_fields in raw.attrs.get("ragged", []):
        problems.append(Problem(source, int(line), "(whole row)", f"{n_fields} fields",
                                f"the header has {len(raw.columns)}; is there an unquoted {delimiter!r} "
                                "inside a value?", True))
    return problems


def _wave_pieces(spec: Mapping, raw: pd.DataFrame):
    """The export as one-wave pieces: a wide file (``wide: {pre: "_1", post: "_2",
    followup: "_3"}``) gives one piece per wave, its suffixed columns renamed to the
    config's names; any other file is one piece. A wide file's line appears once per
    wave in flow.csv.
    """
    if "wide" not in spec:
        yield spec, raw
        return
    for wave, suffix in spec["wide"].items():
        renamed = {c: c[: -len(suffix)] for c in raw.columns if c.endswith(suffix)}
        piece = raw.drop(columns=[c for c in renamed.values() if c in raw.columns]).rename(columns=renamed)
        yield {**spec, "wave": wave}, piece


def ingest_study(study: Study, key: bytes) -> IngestResult:
    """Read, map, validate and pseudonymize every export of one study.

    Raises
    ------
    InvalidInputError
        when ``on_invalid`` is ``stop`` and any value is invalid.
    """
    cols = study.columns
    instruments = study.instruments
    wave_values = {str(v).strip().casefold(): wave
                   for wave in study.waves for v in study.spec["waves"][wave]}
    column_of = {c: study.export_column(c) for c in study.group_columns}
    problems: list[Problem] = []
    notes: list[str] = []
    missing_counts: dict[str, int] = {}
    used_columns = (set(cols.values()) | set(column_of.values())
                    | {c for inst in instruments.values() for c in inst.columns})
    parts = []
    inputs = []
    carried: set[str] = set()  # instruments some export carries
    group_found: set[str] = set()  # group columns some export carries
    group_absent: dict[str, list[Problem]] = {}
    for position, spec in enumerate(study.spec["exports"], start=1):
        source = mask_cpr(spec["path"])  # a file name may hold a CPR number: never stored
        # hashed while it is parsed: reading and hashing let go of the interpreter
        digest = in_thread(file_sha256, source) if Path(source).is_file() else None
        try:
            raw_file, lines = read_export(spec)
        finally:
            if digest is not None:
                digest.exception()  # waits: no thread outlives the reading, failed or not
        if digest is not None:
            inputs.append({"export": f"export {position}", "path": source, "sha256": digest.result()})
        give_back_memory()  # the reader's buffers (a gigabyte for a national export)
        suffixes = list(spec.get("wide", {}).values())
        for column, count in raw_file.attrs.get("user_missing", {}).items():
            names = {column} | {column[: -len(x)] for x in suffixes if column.endswith(x)}
            if names & used_columns:
                notes.append(f"{source}: {count} user-missing value(s) in column {column!r} read as missing")
        header_problems = _header_problems(source, raw_file, lines)
        if header_problems:
            problems += header_problems
            continue
        for piece, raw in _wave_pieces(spec, raw_file):
            present = set(raw.columns)
            needed = [cols["id"]] + ([cols["wave"]] if "wave" not in piece else [])
            missing = [c for c in needed if c not in present]
            has_file = f"the file has: {', '.join(list(raw.columns)[:30])}"
            if missing:
                problems += [Problem(source, 1, c, "(absent)", f"required column missing; {has_file}", True)
                             for c in missing]
                continue
            # a group column may come from another export of the same people (a child's age
            # in the child questionnaire only); one that no export has is an error, below
            for c in study.group_columns:
                if column_of[c] in present:
                    group_found.add(c)
                else:
                    group_absent.setdefault(c, []).append(
                        Problem(source, 1, column_of[c], "(absent)", f"required column missing; {has_file}", True))
            for column in [c for c in raw.columns if c in used_columns] if raw_file.attrs.get("formulas") else []:
                formula = (raw[column] == FORMULA_WITHOUT_VALUE).to_numpy()
                for i in np.flatnonzero(formula):
                    problems.append(Problem(source, int(lines[i]), column, "(formula)",
                                            "a formula cell without a stored value; open the file in Excel, "
                                            "let it calculate and save it"))
                if formula.any():
                    raw = raw.copy()
                    raw.loc[formula, column] = None
            raw, removed = _clean_text_cells(raw, used_columns)
            if removed:
                notes.append(f"{source}: {removed} control or invisible character(s) removed from text values")
            out = pd.DataFrame({"source": source, "line": lines})
            out["raw_id"] = _as_text(raw[cols["id"]]).to_numpy()
            if "wave" in piece:
                out["wave"] = piece["wave"]
                out["wave_raw"] = piece["wave"]
            else:
                wave_raw = _as_text(raw[cols["wave"]])
                out["wave_raw"] = wave_raw.to_numpy()
                codes, uniques = pd.factorize(wave_raw, use_na_sentinel=True)  # a wave id per distinct text
                ids = [wave_values.get(str(v).casefold()) if v else None for v in uniques]
                out["wave"] = np.array([*ids, None], dtype=object)[codes]
            for c in study.group_columns:
                out[c] = (_as_text(raw[column_of[c]]).to_numpy() if column_of[c] in present
                          else np.full(len(raw), None, dtype=object))
            out["row_problem"] = None
            for iid, instrument in instruments.items():
                have = [c for c in instrument.columns if c in present]
                if have and len(have) < len(instrument.columns):
                    absent = [c for c in instrument.columns if c not in present]
                    problems.append(Problem(source, 1, absent[0], "(absent)",
                                            f"instrument {iid}: {len(absent)} of its columns are missing "
                                            f"({', '.join(absent[:5])}); an export carries all its items or none",
                                            True))
                    have = []
                out[f"{iid}__asked"] = bool(have)
                if have:
                    carried.add(iid)
                for column in instrument.columns:
                    if not have:  # missing in these rows when the parts are stacked
                        continue
                    codes, invalid = instrument.item_codes(column, raw[column], piece.get("decimal"))
                    out[column] = codes.to_numpy()
                    n_missing = int(instrument.missing_answers(raw[column]).sum())
                    if n_missing:
                        notes.append(f"{source}: {n_missing} answer(s) in column {column!r} given as a "
                                     "missing-answer code, read as missing")
                        missing_counts[iid] = missing_counts.get(iid, 0) + n_missing
                    for i in np.flatnonzero(invalid.to_numpy()):
                        lo, hi, _ = instrument.valid_codes(column)
                        problems.append(Problem(source, int(lines[i]), column, _shown(raw[column].iat[i]),
                                                f"not a valid answer for {iid} (codes {lo:g}-{hi:g} "
                                                "or their labels)"))
            # a row (or a wave block of a wide file) without a single answered item was not answered
            answered = [c for inst in instruments.values() for c in inst.columns if c in out]
            out["no_answer"] = out[answered].isna().all(axis=1).to_numpy() if answered else True
            # row-level rules: these rows cannot be analysed at all
            for i in np.flatnonzero(out["raw_id"].isna().to_numpy()):
                problems.append(Problem(source, int(lines[i]), cols["id"], "''", "id is empty"))
                out.loc[i, "row_problem"] = "id is empty"
            bad_wave = out["wave"].isna() & out["raw_id"].notna()
            for i in np.flatnonzero(bad_wave.to_numpy()):
                allowed = ", ".join(repr(str(v)) for w in study.waves for v in study.spec["waves"][w])
                problems.append(Problem(source, int(lines[i]), cols.get("wave", "wave"),
                                        _shown(out["wave_raw"].iat[i] or ""), f"unknown wave; allowed: {allowed}"))
                out.loc[i, "row_problem"] = "unknown wave"
            for c in study.group_columns:
                values = out[c]
                cpr = pd.Series(_per_distinct(values, cpr_flags, False), index=values.index)
                for i in np.flatnonzero(cpr.to_numpy()):
                    problems.append(Problem(source, int(lines[i]), column_of[c], _shown(values.iat[i]),
                                            "looks like a CPR number; remove personal numbers from the export"))
                    out.loc[i, c] = None
                if c == "family":
                    continue
                group = study.groups[c]
                out[f"{c}__raw"] = out[c].to_numpy()  # what include conditions test
                if "bins" in group:
                    binned, bad = _bin(out[c], group["bins"], group["labels"])
                    for i in np.flatnonzero((bad & ~cpr).to_numpy()):
                        problems.append(Problem(source, int(lines[i]), column_of[c], _shown(values.iat[i]),
                                                f"not a number in the bins of {c} "
                                                f"([{group['bins'][0]:g}, {group['bins'][-1]:g}))"))
                    out[c] = binned.to_numpy()
                    out.loc[bad.to_numpy(), f"{c}__raw"] = None
                elif "expected" in group:
                    allowed = {str(v) for v in group["expected"]}
                    unknown = values.notna() & ~values.isin(allowed) & ~cpr
                    for i in np.flatnonzero(unknown.to_numpy()):
                        problems.append(Problem(source, int(lines[i]), column_of[c], _shown(values.iat[i]),
                                                f"not an expected {c}; expected: {', '.join(sorted(allowed))}"))
                        out.loc[i, c] = None
                        out.loc[i, f"{c}__raw"] = None
            parts.append(out)

    for c, absent in group_absent.items():
        if c not in group_found:
            problems += absent
    if not any(p.fatal for p in problems):
        for iid, instrument in instruments.items():
            if iid not in carried:  # a misspelt item column: say so before anything is scored
                problems.append(Problem("(every export)", None, instrument.columns[0], "(absent)",
                                        f"instrument {iid}: no export has its item columns "
                                        f"({', '.join(instrument.columns[:6])}"
                                        f"{', ...' if len(instrument.columns) > 6 else ''}); check the "
                                        "column names in the config against the export's header", True))
    item_columns = [c for inst in instruments.values() for c in inst.columns]
    asked_columns = [f"{iid}__asked" for iid in instruments]
    out = raw = raw_file = None  # the last export's cells and part: only ``parts`` holds them now
    rows = _stacked(parts, [*study.group_columns, *item_columns]) if parts else pd.DataFrame(
        columns=["source", "line", "raw_id", "wave", "wave_raw", *study.group_columns,
                 "row_problem", *item_columns, *asked_columns])
    rows, dup_problems = _merge_duplicates(rows, study, item_columns, asked_columns)
    problems += dup_problems
    rows, group_notes, group_changes = _resolve_groups(rows, study)
    notes += group_notes
    for sheet, name in ((study.costs, "cost sheet"), (study.fidelity, "fidelity sheet")):
        if sheet and Path(sheet["path"]).is_file():  # in the provenance beside the exports
            inputs.append({"export": name, "path": mask_cpr(sheet["path"]),
                           "sha256": hashlib.sha256(Path(sheet["path"]).read_bytes()).hexdigest()})
    cost_items, cost_problems = _cost_sheet(study)
    problems += cost_problems
    fidelity, fidelity_problems, fidelity_notes = _fidelity_sheet(study, rows)
    problems += fidelity_problems
    notes += fidelity_notes
    if problems and (study.analysis["on_invalid"] == "stop" or any(p.fatal for p in problems)):
        raise InvalidInputError(problems)

    rows["pid"] = pseudonymize(rows["raw_id"], key)
    if "family" in rows:
        rows["family"] = pseudonymize(rows["family"], key)
    fidelity = pd.DataFrame({"unit": pseudonymize(fidelity["id"], key), "element": fidelity["element"],
                             "delivered": fidelity["delivered"].astype(float)})
    is_kept = rows["status"] == "kept"
    rows.loc[is_kept, "status"] = "answered"
    rows.loc[is_kept, "reason"] = "answered at least one item of this wave"
    flow = rows[["source", "line", "pid", "wave", "status", "reason"]].copy()
    flow["wave"] = flow["wave"].where(flow["wave"].notna(), None)

    # by pseudonym, then wave in time order (a stable sort on integer codes)
    kept_at = np.flatnonzero(is_kept.to_numpy())
    person, _ = pd.factorize(rows["pid"].iloc[kept_at], sort=True)
    when = _time_rank(study, rows["wave"].iloc[kept_at])
    kept_at = kept_at[np.lexsort((when, person))]
    issues = pd.DataFrame([{c: getattr(p, c) for c in ISSUE_COLUMNS} for p in problems], columns=ISSUE_COLUMNS)
    enrolled = rows["status"].isin(["answered", "not_included"]).to_numpy()
    people = rows.loc[enrolled, ["pid", *study.group_columns, "status"]].drop_duplicates("pid")
    people = people[["pid", *study.group_columns]].assign(
        included=people["status"].eq("answered").to_numpy()).sort_values("pid").reset_index(drop=True)
    # the responses last, a column at a time, each let go of in ``rows`` once taken (at 10^6
    # respondents the item codes are a gigabyte: never twice in memory)
    responses = {}
    for c in ["pid", "wave", *study.group_columns, *item_columns, *asked_columns]:
        column = rows.pop(c).iloc[kept_at].reset_index(drop=True)
        if c in asked_columns:
            column = column.astype(bool)
        elif c in study.group_columns and column.dtype == object:
            column = column.astype("str")  # text with missing values (resolved groups are objects)
        responses[c] = column
    del rows
    responses = pd.DataFrame(responses, copy=False)
    return IngestResult(responses, flow.reset_index(drop=True), issues, notes, inputs, missing_counts, people,
                        group_changes, cost_items, fidelity)


def _fidelity_sheet(study: Study, rows: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem], list[str]]:
    """The study's fidelity sheet read and checked (:mod:`evaluation.fidelity`), with raw
    ids: an id that is no unit of the exports is a bad row too (left out in quarantine
    mode). A unit without a row for some core element is counted as 0 there, and said."""
    from .fidelity import DEFAULT_COLUMNS, FIDELITY_COLUMNS, read_fidelity_sheet

    spec = study.fidelity
    if not spec:
        return pd.DataFrame(columns=FIDELITY_COLUMNS), [], []
    source = mask_cpr(spec["path"])
    items, problems = read_fidelity_sheet(spec, source)
    column = "family" if study.fidelity_unit == "family" else "raw_id"
    known = set(rows[column].dropna().astype(str)) if column in rows else set()
    unknown = ~items["id"].isin(known)
    id_column = {**DEFAULT_COLUMNS, **(spec.get("columns") or {})}["id"]
    what = "family id" if column == "family" else "respondent id"
    for line in items.loc[unknown, "line"]:  # the id is not repeated: processed data hold pseudonyms only
        problems.append(Problem(source, int(line), id_column, "(an id)", f"not a {what} of the exports"))
    items = items[~unknown].reset_index(drop=True)
    notes = []
    lacking = int((items.groupby("id")["element"].nunique() < len(spec["elements"])).sum())
    if lacking:
        notes.append(f"fidelity: {lacking} units lack a row for some core element (counted as 0 in their score)")
    return items, problems, notes


def _cost_sheet(study: Study) -> tuple[pd.DataFrame, list[Problem]]:
    """The study's cost sheet read and checked (:mod:`evaluation.costs`); a municipality
    the config does not expect is a bad row too. A bad row is left out of the totals
    (and listed) in quarantine mode."""
    from .costs import COST_COLUMNS, read_cost_sheet

    if not study.costs:
        return pd.DataFrame(columns=COST_COLUMNS), []
    source = mask_cpr(study.costs["path"])
    items, problems = read_cost_sheet(study.costs, source)
    expected = study.levels("municipality")
    if expected and len(items):
        unknown = ~items["municipality"].isin(expected)
        column = study.costs.get("columns", {}).get("municipality", "Kommune")
        for line, value in items.loc[unknown, ["line", "municipality"]].itertuples(index=False):
            problems.append(Problem(source, int(line), column, _shown(value),
                                    f"unknown municipality: one of {', '.join(expected)} (groups: municipality: "
                                    "expected)"))
        items = items[~unknown].reset_index(drop=True)
    return items, problems


def wave_rank(study: Study) -> dict[str, int]:
    """Each wave id's place in time (the config's order; ids are never sorted)."""
    return {w: i for i, w in enumerate(study.waves)}


def _time_rank(study: Study, waves: pd.Series) -> np.ndarray:
    """Each wave id's place in time (:func:`wave_rank`) as an integer array (-1: none)."""
    return pd.Index(list(wave_rank(study))).get_indexer(waves.astype(object))


def _first_rows(person: np.ndarray, when: np.ndarray, has: np.ndarray) -> np.ndarray:
    """Among the rows at positions ``has``: each person's first, by wave in time order
    (``when``), then row order; ``person`` holds every row's person as a code."""
    order = has[np.lexsort((when[has], person[has]))]
    return order[np.r_[True, person[order][1:] != person[order][:-1]]] if len(order) else order


def _first_answered(rows: pd.DataFrame, column: str, study: Study) -> pd.Series:
    """Per raw id: the value of ``column`` at the person's first answered wave (the
    first wave with a value, in the config's wave order)."""
    person, people = pd.factorize(rows["raw_id"], sort=True)
    first = _first_rows(person, _time_rank(study, rows["wave"]), np.flatnonzero(rows[column].notna().to_numpy()))
    return pd.Series(rows[column].to_numpy()[first], index=people.take(person[first]), name=column)


def _resolve_groups(rows: pd.DataFrame, study: Study) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """A person's group values are those at their first answered wave (a different value
    later is counted, not invalid); people who do not meet ``include`` get status
    ``not_included`` on every answered row (CONTRACT section 2)."""
    notes = []
    changes: dict[str, int] = {}
    rows = rows.copy(deep=False)  # copy-on-write: only the columns written here are copied
    kept = rows["status"] == "kept"
    answered = rows[kept]
    person, _ = pd.factorize(answered["raw_id"], use_na_sentinel=False)  # each answered row's person
    when = _time_rank(study, answered["wave"])
    for c in (g for g in study.groups if g in study.group_columns):
        # each person's value at their first wave with one (in time, then row order)
        values = answered[c].to_numpy(dtype=object)
        first = _first_rows(person, when, np.flatnonzero(answered[c].notna().to_numpy()))
        of_person = np.full(person.max() + 1 if len(person) else 0, None, dtype=object)
        of_person[person[first]] = values[first]
        resolved = of_person[person]  # every answered row: its person's first value, or None
        later = answered[c].notna().to_numpy() & (values != resolved)
        n_people = answered.loc[later, "raw_id"].nunique()
        if n_people:
            changes[c] = int(n_people)
            notes.append(f"{n_people} person(s) have another {c} at a later wave; the value at their first "
                         "answered wave is used")
        rows[c] = rows[c].astype(object)
        rows.loc[kept, c] = resolved
    include = study.spec.get("include", {})
    if include:
        meets = pd.Series(True, index=answered["raw_id"].unique())
        for c, condition in include.items():
            value = _first_answered(answered, f"{c}__raw", study).reindex(meets.index)
            if isinstance(condition, Mapping):
                number = pd.to_numeric(value.map(lambda v: str(v).replace(",", ".") if v is not None else None),
                                       errors="coerce")
                ok = number.between(condition.get("min", -math.inf), condition.get("max", math.inf))
            else:
                allowed = {str(v).strip().casefold() for v in condition}
                ok = value.map(lambda v: v is not None and str(v).strip().casefold() in allowed).astype(bool)
            meets &= ok.fillna(False).astype(bool)
        out = kept & ~rows["raw_id"].map(meets).fillna(True).astype(bool)
        rows.loc[out, "status"] = "not_included"
        rows.loc[out, "reason"] = "left out by include: " + ", ".join(
            f"{c} {v}" if isinstance(v, list) else f"{c} {v.get('min', '')}-{v.get('max', '')}"
            for c, v in include.items())
        if out.any():
            notes.append(f"{rows.loc[out, 'raw_id'].nunique()} person(s) left out by include "
                         f"({int(out.sum())} rows)")
    return rows, notes, changes


def _merge_duplicates(rows: pd.DataFrame, study: Study, item_columns: list[str],
                      asked_columns: list[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """One answer per person and wave.

    Rows of the same person and wave are merged when they agree on every value both
    carry (an exact duplicate, or the same person in two exports with different
    questionnaires); they conflict otherwise, and the person's rows for that wave are
    invalid.
    Adds ``status`` (kept, duplicate, invalid) and ``reason``.
    """
    problems: list[Problem] = []
    no_answer = rows["no_answer"].fillna(False).astype(bool).to_numpy() if "no_answer" in rows else False
    has_problem = rows["row_problem"].notna().to_numpy()
    status = np.select([has_problem, no_answer], ["invalid", "no_answer"], "kept").astype(object)
    reason = np.where(has_problem, rows["row_problem"].to_numpy(),
                      np.where(no_answer, "no item of any instrument answered", None)).astype(object)
    ok = status == "kept"
    compare = [*study.group_columns, *item_columns]
    dup = np.zeros(len(rows), dtype=bool)
    dup[ok] = rows[ok].duplicated(["raw_id", "wave"], keep=False).to_numpy()
    if not dup.any():
        return rows.assign(status=status, reason=reason), problems
    # the rows of each person and wave together, in their order: positions into `rows`;
    # columns are read at those positions one by one (no copy of the whole frame)
    where = np.flatnonzero(dup)
    group = rows.iloc[where].groupby(["raw_id", "wave"], sort=False).ngroup().to_numpy()
    order = np.argsort(group, kind="stable")
    where, group = where[order], group[order]
    n, starts = len(where), np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    position = np.arange(n)
    conflict = np.full(n, -1)  # per row: the first column (in `compare`) whose value differs from the group's
    merged = {}  # column -> (its value in each group, whether the group has one)
    for k, c in enumerate(compare):
        values = rows[c].to_numpy()[where]
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        present = codes >= 0
        # a group's value of a column: its first row's that has one (as merging row by row keeps it)
        first = np.minimum.reduceat(np.where(present, position, n), starts)
        has = first < n
        if not has.any():
            continue
        # values are compared as text (1 and 1.0 differ), decided once per distinct value
        text = pd.factorize(np.array([str(u) for u in uniques] + [""], dtype=object))[0][codes]
        differs = present & has[group] & (text != text[np.where(has, first, 0)][group])
        conflict[differs & (conflict < 0)] = k
        merged[c] = (values[np.where(has, first, 0)], has)
    # a group conflicts at its first row that differs from what the rows before it hold
    at = np.minimum.reduceat(np.where(conflict >= 0, position, n), starts)
    source, line = rows["source"].to_numpy(), rows["line"].to_numpy()
    for g in np.flatnonzero(at < n):
        rows_of = where[starts[g]: (starts[g + 1] if g + 1 < len(starts) else n)]
        row, column = where[at[g]], compare[conflict[at[g]]]
        lines = ", ".join(str(v) for v in line[rows_of])
        problems.append(Problem(source[row], int(line[row]), study.columns.get(column, column),
                                _shown(rows[column].iat[row]),
                                f"the same person answered this wave more than once with "
                                f"different answers (lines {lines})"))
    fine = at[group] == n  # rows of groups without a conflict
    status[where[~fine]] = "invalid"
    reason[where[~fine]] = "conflicting answers for the same person and wave"
    keep = at == n
    heads = starts[keep]  # positions of the first row of each group without a conflict
    columns = {"status": status, "reason": reason}
    for c, (value, has) in merged.items():
        take = keep & has
        if take.any():
            column = rows[c].to_numpy(copy=True)
            column[where[starts[take]]] = value[take]
            columns[c] = column
    if asked_columns:
        asked = rows[asked_columns].iloc[where].fillna(False).astype(bool).to_numpy()
        any_asked = np.logical_or.reduceat(asked, starts, axis=0)
        for j, c in enumerate(asked_columns):
            column = rows[c].to_numpy(copy=True)
            column[where[heads]] = any_asked[keep, j]
            columns[c] = column
    later = fine & ~np.isin(position, starts)
    head_of = where[starts[group]]  # each row's group's first row
    status[where[later]] = "duplicate"
    reason[where[later]] = [f"same person and wave as {s} line {x}; merged"
                            for s, x in zip(source[head_of[later]], line[head_of[later]])]
    return _with_columns(rows, columns), problems


def _stacked(parts: list[pd.DataFrame], columns: list[str] = ()) -> pd.DataFrame:
    """The rows of every part, one after the other, with a fresh index: what
    ``pd.concat(parts, ignore_index=True)`` gives (a column a part lacks is missing
    in its rows; ``columns`` are there even when no part has them), made column by
    column: pandas copied the parts' mixed blocks cell by cell (2.8 s for the four
    exports of 10^5 respondents, 0.4 s so). The parts are emptied as they are
    used, so that their memory serves the stacked columns."""
    if len(parts) == 1:
        part = parts.pop().reset_index(drop=True)
        return part.assign(**{c: np.nan for c in columns if c not in part})
    names = list(dict.fromkeys(c for part in parts for c in part.columns))
    sizes = [len(part) for part in parts]
    stacked = {}
    for c in names:
        pieces = [part.pop(c) if c in part else None for part in parts]
        present = [piece for piece in pieces if piece is not None]
        dtypes = {piece.dtype for piece in present}
        if len(dtypes) == 1 and isinstance(present[0].dtype, np.dtype) and (
                len(present) == len(parts) or present[0].dtype.kind == "f"):
            stacked[c] = np.concatenate([np.full(n, np.nan) if piece is None else piece.to_numpy()
                                         for piece, n in zip(pieces, sizes)])
        else:  # text (Arrow arrays joined as they are), or a fill and a promotion as pandas does
            stacked[c] = pd.concat([pd.Series(np.nan, index=range(n)) if piece is None else piece
                                    for piece, n in zip(pieces, sizes)], ignore_index=True).array
    missing = {c: np.full(sum(sizes), np.nan) for c in columns if c not in stacked}
    return pd.DataFrame({**stacked, **missing}, index=pd.RangeIndex(sum(sizes)), copy=False)


def _with_columns(frame: pd.DataFrame, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """``frame`` with ``columns`` replaced or added, built in one go (setting many
    columns of a wide frame one by one splits its blocks each time)."""
    out = {c: columns.get(c, frame[c]) for c in frame.columns}
    out.update({c: v for c, v in columns.items() if c not in out})
    return pd.DataFrame({c: v.array if isinstance(v, pd.Series) else v for c, v in out.items()},
                        index=frame.index, copy=False)
