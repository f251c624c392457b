"""The report as a document of blocks: what the HTML, Word and Excel writers walk.

Analyses (``evaluation.analyses``) return blocks; the writers know how to draw each
kind and nothing about statistics, so the section order exists once: the order of
the sections in the document.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

__all__ = ["Paragraph", "Bullets", "Table", "FigureRef", "Heading", "Preformatted", "Section", "Document",
           "Block"]


@dataclass
class Paragraph:
    text: str
    note: bool = False  # a small note (footnote, how to read a table)


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Table:
    """A table formatted for people: the same rows go to HTML, Word and Excel."""

    header: list[str]
    rows: list[list[str]]
    suppressed: list[bool] | None = None
    caption: str = ""  # what it shows; its section's title when empty


@dataclass
class FigureRef:
    """A figure drawn by the report stage (``<stem>.png`` in the figure folder)."""

    stem: str
    caption: str
    alt: str = ""


@dataclass
class Heading:
    text: str
    level: int = 3


@dataclass
class Preformatted:
    text: str
    folded: str = ""  # shown folded under this summary line (HTML: <details>)


Block = Union[Paragraph, Bullets, Table, FigureRef, Heading, Preformatted]


@dataclass
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Document:
    lang: str
    title: str
    subtitle: str
    sections: list[Section] = field(default_factory=list)


def captions(doc: "Document", drawn: set[str]) -> dict[int, str]:
    """The numbered caption of every table and drawn figure (``drawn``: the stems whose
    file exists), by ``id(block)``: "Tabel 3. ..." / "Figure 2. ...", numbered in
    reading order, the same in every writer."""
    from ..i18n import t

    out: dict[int, str] = {}
    tables = figures = 0
    for section in doc.sections:
        for block in section.blocks:
            if isinstance(block, Table):
                tables += 1
                out[id(block)] = f"{t('table_n', doc.lang, n=tables)}. {block.caption or section.title}"
            elif isinstance(block, FigureRef) and block.stem in drawn:
                figures += 1
                out[id(block)] = f"{t('figure_n', doc.lang, n=figures)}. {block.caption}"
    return out
