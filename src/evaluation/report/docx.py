"""The document as a Word file (headings, tables, figures) for editing."""
from __future__ import annotations

import re
from pathlib import Path

from ..io import write_zip
from .document import Bullets, Document, FigureRef, Heading, Paragraph, Preformatted, Table, captions

__all__ = ["write", "document_date", "column_widths", "layout"]


def document_date():
    """The date written into DOCX/XLSX metadata: ``SOURCE_DATE_EPOCH`` if set, else now."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.datetime.fromtimestamp(float(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    return moment.replace(tzinfo=None, microsecond=0)


PAGE = (21.0, 29.7)  # A4, cm
MARGIN = 2.5  # cm, all round: a Danish report's
CHAR = 0.22  # cm: the width of a character of the table font (9 pt; bold headers are wider)
PAD = 0.5  # cm: a cell's left and right padding and borders together


def column_widths(block: Table, available: float, size: float = 9) -> list[float] | None:
    """Column widths in cm from the content at font ``size`` (pt): each at least its
    longest word (a label is never broken inside a word), the rest of ``available``
    shared by how much longer each column's longest text is. None when the longest
    words alone do not fit."""
    char = CHAR * size / 9
    texts = [[str(block.header[j])] + [str(r[j]) for r in block.rows] for j in range(len(block.header))]
    least = [PAD + char * max((len(w) for t in col for w in t.split()), default=1) for col in texts]
    want = [PAD + char * max((len(t) for t in col), default=1) for col in texts]
    if sum(least) > available:
        return None
    if sum(want) <= available:
        return want
    extra = available - sum(least)
    need = [w - m for w, m in zip(want, least)]
    return [m + extra * n / sum(need) for m, n in zip(least, need)] if sum(need) else least


def layout(block: Table, portrait: float, landscape: float) -> tuple[bool, float, list[float] | None]:
    """Where a table goes: (landscape page?, font size, column widths): portrait at 9 pt
    when its words fit, else a landscape page at 9, 8 or 7 pt; a table whose words fit
    nowhere gets Word's own widths."""
    for wide, size in ((False, 9), (True, 9), (True, 8), (True, 7)):
        widths = column_widths(block, landscape if wide else portrait, size)
        if widths is not None:
            return wide, size, widths
    return True, 7, None


def _add_table(word, block: Table, widths: list[float] | None, size: float = 9) -> None:
    """A table whose body rows are copies of its header row with their text replaced
    (python-docx's add_row and cell.text are slow for tables of hundreds of rows); the
    header row repeats on every page, columns as wide as ``widths`` (cm).

    The body rows are written as XML text from the header row's (its cells emptied,
    a run of the table's font size in each) and parsed by lxml all at once: an
    element at a time was two thirds of the Word report's writing time for a study
    of 98 municipalities."""
    import copy
    from xml.sax.saxutils import escape

    from docx.oxml import OxmlElement, parse_xml
    from docx.oxml.ns import nsdecls, qn
    from docx.shared import Cm, Pt
    from lxml import etree

    table = word.add_table(rows=1, cols=len(block.header))
    table.style = "Light Grid Accent 1"
    table.autofit = widths is None
    for cell, text in zip(table.rows[0].cells, block.header):
        cell.text = text
        for run in cell.paragraphs[0].runs:
            run.font.size = Pt(size)
    if widths is not None:
        for column, width in zip(table.columns, widths):
            column.width = Cm(width)
            for cell in column.cells:
                cell.width = Cm(width)
    tbl = table._tbl
    template = copy.deepcopy(tbl.tr_lst[0])
    for tc in template.tc_lst:
        for p in tc.p_lst:
            for r in p.r_lst:
                p.remove(r)
        marker = OxmlElement("w:r")
        marker.text = _CELL
        tc.p_lst[0].append(marker)
    header = tbl.tr_lst[0].get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)
    if not block.rows:
        return
    # the row as text around each cell's marker, without the namespace declarations
    # (the wrapper below declares them once)
    row = etree.tostring(template, encoding="unicode")
    row = re.sub(r' xmlns:\w+="[^"]*"', "", row)
    parts = row.split(f"<w:r><w:t>{_CELL}</w:t></w:r>")
    if len(parts) != len(block.header) + 1:
        raise AssertionError("a table row template without one marker per cell")
    run = (f'<w:r><w:rPr><w:sz w:val="{int(2 * size)}"/></w:rPr><w:t xml:space="preserve">', "</w:t></w:r>")
    rows = []
    for cells in block.rows:
        rows.append(parts[0])
        for text, after in zip(cells, parts[1:]):
            rows += (run[0], escape(str(text)), run[1], after)
    body = parse_xml(f"<w:tbl {nsdecls('w')}>{''.join(rows)}</w:tbl>")
    for empty in body.xpath(".//w:t[not(text())]"):  # python-docx maps its prefixes
        empty.text = ""  # written <w:t></w:t>, as python-docx writes an empty cell's text
    tbl.extend(list(body))


_CELL = "@@cell@@"


class _Styled:
    """Paragraphs in a style given by name, its id looked up once: python-docx looks
    a style name up among all styles on every paragraph (a quarter of the writing
    time). What is set is what ``paragraph.style = name`` sets."""

    def __init__(self, word) -> None:
        self.word = word
        self.ids = {style.name: style.style_id for style in word.styles}
        self.default = word.styles.default(word.styles["Normal"].type).name

    def add(self, text: str = "", style: str | None = None):
        paragraph = self.word.add_paragraph(text)
        if style is not None and style != self.default:
            paragraph._p.style = self.ids[style]
        return paragraph

    def heading(self, text: str, level: int):
        return self.add(text, "Title" if level == 0 else f"Heading {level}")

    def caption(self, text: str, above: bool = True) -> None:
        """A numbered caption in Word's own Caption style: above a table (kept with
        it), below a figure."""
        paragraph = self.add(text, "Caption" if "Caption" in self.ids else None)
        paragraph.paragraph_format.keep_with_next = above


def _page(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    width, height = PAGE if not landscape else PAGE[::-1]
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(width), Cm(height)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(MARGIN))


def _contents(word, styled: _Styled, title: str) -> None:
    """A table of contents field (headings 1-2); Word fills it in when the file is
    opened (``updateFields``), LibreOffice when the index is updated."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styled.heading(title, 1)
    paragraph = styled.add()
    parts = [("begin", None), (None, 'TOC \\o "1-2" \\h \\z \\u'), ("separate", None), ("end", None)]
    for kind, instruction in parts:
        run = OxmlElement("w:r")
        if kind:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run.append(char)
        else:
            text = OxmlElement("w:instrText")
            text.set(qn("xml:space"), "preserve")
            text.text = instruction
            run.append(text)
        paragraph._p.append(run)
    settings = word.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)


def write(doc: Document, figure_dir: Path, path: Path, figures=None, ready=None) -> None:
    """The Word report of ``doc``, with the figures ``figure_dir/<stem>.png`` of the
    stems in ``figures`` (default: the PNG files there now). ``ready`` (optional) is
    called once before the first figure is read: the text and tables are written
    while the figures are still being drawn elsewhere. The zip has fixed dates
    (:func:`evaluation.io.write_zip`): the same report gives the same bytes."""
    from docx import Document as Word
    from docx.enum.section import WD_SECTION
    from docx.shared import Cm, Pt

    from ..i18n import t

    word = Word()
    word.styles["Normal"].font.size = Pt(10)
    _page(word.sections[0], landscape=False)
    portrait = PAGE[0] - 2 * MARGIN
    landscape = PAGE[1] - 2 * MARGIN
    styled = _Styled(word)
    styled.heading(doc.title, 0)
    styled.add(doc.subtitle)
    _contents(word, styled, t("contents", doc.lang))
    stems = set(figures) if figures is not None else {p.stem for p in Path(figure_dir).glob("*.png")}
    numbered = captions(doc, stems)
    pictures = []  # (paragraph, file): placed once the figures are there
    for section in doc.sections:
        styled.heading(section.title, 1)
        for block in section.blocks:
            if isinstance(block, Heading):
                styled.heading(block.text, block.level - 1)
            elif isinstance(block, Paragraph):
                styled.add(block.text)
            elif isinstance(block, Bullets):
                for item in block.items:
                    styled.add(item, "List Bullet")
            elif isinstance(block, Table):
                wide, size, widths = layout(block, portrait, landscape)
                if wide:  # too wide for the page: a landscape page of its own
                    _page(word.add_section(WD_SECTION.NEW_PAGE), landscape=True)
                    styled.caption(numbered[id(block)])
                    _add_table(word, block, widths, size)
                    _page(word.add_section(WD_SECTION.NEW_PAGE), landscape=False)
                else:
                    styled.caption(numbered[id(block)])
                    _add_table(word, block, widths, size)
                    styled.add()
            elif isinstance(block, FigureRef):
                if block.stem in stems:
                    picture = styled.add()
                    pictures.append((picture, Path(figure_dir) / f"{block.stem}.png"))
                    picture.paragraph_format.keep_with_next = True
                    styled.caption(numbered[id(block)], above=False)
            elif isinstance(block, Preformatted):
                continue  # the configuration is in the HTML report and the provenance files
            else:
                raise TypeError(f"no Word form for {type(block).__name__}")
    if pictures and ready is not None:
        ready()
    _add_pictures(word, pictures, Cm(min(15.0, portrait)))
    props = word.core_properties
    props.title = doc.title[:255]  # the document property holds at most 255 characters
    props.author = props.last_modified_by = "evaluation"
    props.revision = 1
    props.created = props.modified = document_date()
    write_zip(path, _entries(word))


def _add_pictures(word, pictures: list, width) -> None:
    """Each (paragraph, PNG) of ``pictures`` as a picture ``width`` wide in a run of its
    own, as ``Run.add_picture`` puts it, with the same shape ids: python-docx finds
    each id by searching the whole document for the largest one so far (0.23 s for
    twelve pictures after a 10^5 study's tables); the first is found so and the
    others counted from it (a picture is the only thing here with such an id)."""
    from docx.oxml.shape import CT_Inline

    part = word.part
    first = part.next_id if pictures else 1
    for k, (paragraph, png) in enumerate(pictures):
        rId, image = part.get_or_add_image(str(png))
        cx, cy = image.scaled_dimensions(width, None)
        paragraph.add_run()._r.add_drawing(CT_Inline.new_pic_inline(first + k, rId, image.filename, cx, cy))


def _entries(word) -> list[tuple[str, bytes]]:
    """The files of the Word package, (name, bytes) in the order ``Document.save``
    writes them (python-docx's own package writer, handed a list instead of a zip):
    the zip is then written once, with the fixed dates of
    :func:`evaluation.io.write_zip`, instead of saved and rewritten."""
    from docx.opc.pkgwriter import PackageWriter

    class Collected(list):
        def write(self, pack_uri, blob):
            self.append((pack_uri.membername, blob))

    package = word.part.package
    for part in package.parts:
        part.before_marshal()
    entries = Collected()
    PackageWriter._write_content_types_stream(entries, package.parts)
    PackageWriter._write_pkg_rels(entries, package.rels)
    PackageWriter._write_parts(entries, package.parts)
    return list(entries)
