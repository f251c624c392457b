"""The published tables as an Excel workbook: one sheet each, as numbers, and a notes
sheet that says how to read them. No cell is a formula."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .document import Document, Paragraph
from .docx import document_date

__all__ = ["write"]


def write(doc: Document, tables: dict[str, pd.DataFrame], path: Path) -> None:
    by_id = {s.id: s for s in doc.sections}
    notes = [doc.title]
    for sid in ("results", "methods", "limitations"):
        notes += [b.text for b in by_id[sid].blocks if isinstance(b, Paragraph)] if sid in by_id else []
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
        pd.DataFrame({"note": list(dict.fromkeys(notes))}).to_excel(writer, sheet_name="notes", index=False)
        book = writer.book
        for sheet in book.worksheets:  # text is text: "=HYPERLINK(...)" in a group name is no formula
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
        book.properties.creator = book.properties.lastModifiedBy = "evaluation"
        book.properties.created = book.properties.modified = document_date()
