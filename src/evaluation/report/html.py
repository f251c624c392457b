"""The document as one self-contained HTML file (figures inlined as data URIs)."""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Sequence

import jinja2
from markupsafe import Markup

from ..i18n import t
from .document import Bullets, Document, FigureRef, Heading, Paragraph, Preformatted, Table, captions

__all__ = ["render", "html_table"]


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]],
               suppressed: Sequence[bool] | None = None, caption: str = "") -> Markup:
    """A plain HTML table with its caption; every cell is escaped."""
    out = ["<table>", f"<caption>{html.escape(caption)}</caption>" if caption else "", "<thead><tr>",
           *(f"<th>{html.escape(str(h))}</th>" for h in header), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = ' class="suppressed"' if suppressed is not None and suppressed[i] else ""
        out.append("<tr>" + "".join(f"<td{cls}>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


def _block(block, images: dict[str, str], captions: dict[int, str]) -> Markup:
    e = html.escape
    if isinstance(block, Heading):
        return Markup(f"<h{block.level}>{e(block.text)}</h{block.level}>")
    if isinstance(block, Paragraph):
        return Markup(f'<p class="note">{e(block.text)}</p>' if block.note else f"<p>{e(block.text)}</p>")
    if isinstance(block, Bullets):
        return Markup("<ul>" + "".join(f"<li>{e(item)}</li>" for item in block.items) + "</ul>")
    if isinstance(block, Table):
        return html_table(block.header, block.rows, block.suppressed, captions.get(id(block), ""))
    if isinstance(block, FigureRef):
        if block.stem not in images:
            return Markup("")
        return Markup(f'<figure><img alt="{e(block.alt or block.caption)}" '
                      f'src="data:image/png;base64,{images[block.stem]}"><figcaption>{e(captions[id(block)])}'
                      "</figcaption></figure>")
    if isinstance(block, Preformatted):
        pre = f"<pre>{e(block.text)}</pre>"
        return Markup(f"<details><summary>{e(block.folded)}</summary>{pre}</details>" if block.folded else pre)
    raise TypeError(f"no HTML for {type(block).__name__}")


def render(doc: Document, figure_dir: Path) -> str:
    """The HTML report of a document; figures are read from ``figure_dir``."""
    images = {p.stem: base64.b64encode(p.read_bytes()).decode("ascii")
              for p in sorted(Path(figure_dir).glob("*.png"))}
    env = jinja2.Environment(loader=jinja2.PackageLoader("evaluation", "report/templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    numbered = captions(doc, set(images))
    sections = [{"id": s.id, "title": s.title,
                 "body": Markup("\n").join(_block(b, images, numbered) for b in s.blocks)} for s in doc.sections]
    return env.get_template("report.html.j2").render(lang=doc.lang, title=doc.title, subtitle=doc.subtitle,
                                                     sections=sections, contents=t("contents", doc.lang))
