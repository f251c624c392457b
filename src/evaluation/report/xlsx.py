"""The published tables as an Excel workbook: one sheet each, as numbers, and a notes
sheet that says how to read them. No cell is a formula."""
from __future__ import annotations

from pathlib import Path

import numpy as np
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
    empty) and the notes sheet, written row by row (openpyxl's write-only mode: a
    third of the time of pandas' writer). Sheet names and column headings are in the
    report's language (:func:`evaluation.i18n.column_heading`); the CSV files in
    ``tables/`` keep the contract's column names."""
    from openpyxl import Workbook

    lang = doc.lang
    by_id = {s.id: s for s in doc.sections}
    notes = [doc.title]
    for sid in ("results", "methods", "limitations"):
        notes += [b.text for b in by_id[sid].blocks if isinstance(b, Paragraph)] if sid in by_id else []
    book = Workbook(write_only=True)
    sheets = {**{sheet_name(name, lang): (name, frame) for name, frame in tables.items()},
              sheet_name("notes", lang): ("notes", pd.DataFrame({t("note", lang): list(dict.fromkeys(notes))}))}
    for name, (table, frame) in sheets.items():
        sheet = book.create_sheet(name)
        headings = [str(c) if table == "notes" else column_heading(str(c), lang, study) for c in frame.columns]
        sheet.append([_cell(sheet, h) for h in headings])
        for row in zip(*(_column_cells(sheet, frame[c]) for c in frame.columns)):
            sheet.append(list(row))
    book.properties.creator = book.properties.lastModifiedBy = "evaluation"
    book.properties.created = book.properties.modified = document_date()
    book.save(path)


def _column_cells(sheet, column: pd.Series) -> list:
    """:func:`_cell` of every value of a column, numbers converted as a whole."""
    if pd.api.types.is_float_dtype(column.dtype) and not pd.api.types.is_extension_array_dtype(column.dtype):
        values = column.to_numpy()
        cells = values.astype(object)
        cells[np.isnan(values)] = None
        return cells.tolist()
    if (pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)) \
            and not pd.api.types.is_extension_array_dtype(column.dtype):
        return column.to_numpy().tolist()
    return [_cell(sheet, v) for v in column.tolist()]


def _cell(sheet, value):
    """A cell's value: NaN and NA empty, numpy numbers as Python numbers, and text as
    text even when it starts with "=" (never a formula)."""
    from openpyxl.cell import WriteOnlyCell

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
        if isinstance(value, float) and value != value:
            return None
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value
