"""The published tables as an Excel workbook: one sheet each, as numbers, and a notes
sheet that says how to read them. No cell is a formula or an error code."""
from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd

from ..i18n import TEXTS, column_heading, t
from .document import Document, Paragraph
from .docx import document_date

__all__ = ["write", "sheet_name"]


def sheet_name(table: str, lang: str) -> str:
    """A table's sheet in the workbook: its name in ``lang`` (at most 31 characters)."""
    key = f"sheet_{table}"
    return (t(key, lang) if key in TEXTS else table)[:31]


def write(doc: Document, tables: dict[str, pd.DataFrame], path: Path, study=None) -> None:
    """One sheet per table (header row, then values: numbers as numbers, empty as
    empty) and the notes sheet, written as a finished zip (fixed dates:
    :func:`evaluation.io.write_zip`). Sheet names and column headings are
    in the report's language (:func:`evaluation.i18n.column_heading`); the CSV files
    in ``tables/`` keep the contract's column names.

    openpyxl writes the workbook around empty sheets (styles, sheet names,
    properties); the rows are written here as the XML openpyxl's write-only mode
    writes for them (:func:`_sheet_data`, tested against it), a column at a time:
    row by row through openpyxl took 0.8 s for the 170,000 cells of a national
    study. Text is always text: never a formula (``=...``), never an error code
    (``#N/A``)."""
    import io
    import zipfile

    from openpyxl import Workbook

    from ..io import write_zip

    lang = doc.lang
    by_id = {s.id: s for s in doc.sections}
    notes = [doc.title]
    for sid in ("results", "methods", "limitations"):
        notes += [b.text for b in by_id[sid].blocks if isinstance(b, Paragraph)] if sid in by_id else []
    book = Workbook(write_only=True)
    sheets = {**{sheet_name(name, lang): (name, frame) for name, frame in tables.items()},
              sheet_name("notes", lang): ("notes", pd.DataFrame({t("note", lang): list(dict.fromkeys(notes))}))}
    data = {}
    for k, (name, (table, frame)) in enumerate(sheets.items(), start=1):
        book.create_sheet(name)
        headings = [str(c) if table == "notes" else column_heading(str(c), lang, study) for c in frame.columns]
        data[f"xl/worksheets/sheet{k}.xml"] = _sheet_data(headings, frame)
    book.properties.creator = book.properties.lastModifiedBy = "evaluation"
    book.properties.created = book.properties.modified = document_date()
    buffer = io.BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(buffer) as archive:
        entries = [(info.filename, archive.read(info.filename)) for info in archive.infolist()]
    for i, (name, part) in enumerate(entries):
        if name in data:
            if part.count(_EMPTY) != 1:
                raise RuntimeError(f"openpyxl wrote {name} without one empty sheetData")
            entries[i] = (name, part.replace(_EMPTY, b"<sheetData>" + data.pop(name) + b"</sheetData>"))
    if data:
        raise RuntimeError(f"openpyxl wrote no {', '.join(data)}")
    write_zip(path, entries)


_EMPTY = b"<sheetData></sheetData>"


def _sheet_data(headings: list[str], frame: pd.DataFrame) -> bytes:
    """The rows of a sheet (inside ``<sheetData>``): the headings, then the frame."""
    from openpyxl.utils import get_column_letter

    n = len(frame)
    columns = [[_text_xml(h)] + _column_xml(frame.iloc[:, k]) for k, h in enumerate(headings)]
    letters = [get_column_letter(k) for k in range(1, len(columns) + 1)]
    rows = []
    for r in range(n + 1):
        number = r + 1
        cells = "".join(f'<c r="{letter}{number}" {column[r]}' for letter, column in zip(letters, columns)
                        if column[r] is not None)
        rows.append(f'<row r="{number}">{cells}</row>')
    return "".join(rows).encode("ascii", "xmlcharrefreplace")


def _number_xml(value) -> str | None:
    """A number's cell (after its ``r``), as openpyxl writes it: ``%.16g``, and
    infinity as an empty value."""
    if value != value:
        return None
    if value in (math.inf, -math.inf):
        return 't="n"><v></v></c>'
    return f't="n"><v>{value:.16g}</v></c>'


def _text_xml(value: str) -> str:
    """A text cell (after its ``r``), as openpyxl writes it: at most 32,767 characters,
    ``xml:space`` kept where it starts or ends with space; the characters XML 1.0
    cannot hold are an error."""
    value = value[:32767]
    if _ILLEGAL.search(value):
        raise ValueError(f"{value!r} holds a control character, which a workbook cannot")
    if value == "":
        return 't="inlineStr"></c>'
    escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f't="inlineStr"><is><t{space}>{escaped}</t></is></c>'


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # openpyxl's ILLEGAL_CHARACTERS_RE


def _column_xml(column: pd.Series) -> list[str | None]:
    """Every value's cell (after its ``r``; None: no cell): numbers as numbers (a
    column of them converted as a whole), booleans as booleans, text as text, and
    NaN and NA empty."""
    if pd.api.types.is_bool_dtype(column.dtype) and not pd.api.types.is_extension_array_dtype(column.dtype):
        return [_BOOL[v] for v in column.to_numpy().tolist()]
    if (pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype)) \
            and not pd.api.types.is_extension_array_dtype(column.dtype):
        return [_number_xml(v) for v in column.to_numpy().tolist()]
    return [_value_xml(v) for v in column.tolist()]


_BOOL = {True: 't="b"><v>1</v></c>', False: 't="b"><v>0</v></c>'}


def _value_xml(value) -> str | None:
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # a numpy number
    if isinstance(value, bool):
        return _BOOL[value]
    if isinstance(value, (int, float)):
        return _number_xml(value)
    if isinstance(value, str):
        return _text_xml(value)
    raise TypeError(f"a published table holds {value!r} ({type(value).__name__}), which is no number or text")
