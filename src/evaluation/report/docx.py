"""The document as a Word file (headings, tables, figures) for editing."""
from __future__ import annotations

from pathlib import Path

from .document import Bullets, Document, FigureRef, Heading, Paragraph, Preformatted, Table

__all__ = ["write", "document_date"]


def document_date():
    """The date written into DOCX/XLSX metadata: ``SOURCE_DATE_EPOCH`` if set, else now."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.datetime.fromtimestamp(float(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    return moment.replace(tzinfo=None, microsecond=0)


def _add_table(word, block: Table) -> None:
    """A table whose body rows are copies of its header row with their text replaced:
    python-docx's add_row and cell.text are slow for tables of hundreds of rows."""
    import copy

    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    table = word.add_table(rows=1, cols=len(block.header))
    table.style = "Light Grid Accent 1"
    for cell, text in zip(table.rows[0].cells, block.header):
        cell.text = text
    tbl = table._tbl
    template = copy.deepcopy(tbl.tr_lst[0])
    for tc in template.tc_lst:
        for p in tc.p_lst:
            for r in p.r_lst:
                p.remove(r)
    for row in block.rows:
        tr = copy.deepcopy(template)
        for tc, text in zip(tr.tc_lst, row):
            run, t = OxmlElement("w:r"), OxmlElement("w:t")
            t.text = str(text)
            t.set(qn("xml:space"), "preserve")
            run.append(t)
            tc.p_lst[0].append(run)
        tbl.append(tr)


def write(doc: Document, figure_dir: Path, path: Path) -> None:
    from docx import Document as Word
    from docx.shared import Cm, Pt

    word = Word()
    word.styles["Normal"].font.size = Pt(10)
    word.add_heading(doc.title, level=0)
    word.add_paragraph(doc.subtitle)
    for section in doc.sections:
        word.add_heading(section.title, level=1)
        for block in section.blocks:
            if isinstance(block, Heading):
                word.add_heading(block.text, level=block.level - 1)
            elif isinstance(block, Paragraph):
                word.add_paragraph(block.text)
            elif isinstance(block, Bullets):
                for item in block.items:
                    word.add_paragraph(item, style="List Bullet")
            elif isinstance(block, Table):
                _add_table(word, block)
                word.add_paragraph()
            elif isinstance(block, FigureRef):
                png = Path(figure_dir) / f"{block.stem}.png"
                if png.exists():
                    word.add_picture(str(png), width=Cm(15))
            elif isinstance(block, Preformatted):
                continue  # the configuration is in the HTML report and the provenance files
            else:
                raise TypeError(f"no Word form for {type(block).__name__}")
    props = word.core_properties
    props.title = doc.title[:255]  # the document property holds at most 255 characters
    props.author = props.last_modified_by = "evaluation"
    props.revision = 1
    props.created = props.modified = document_date()
    word.save(str(path))
