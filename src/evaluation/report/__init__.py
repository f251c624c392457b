"""The report: one document of sections, built from the analyses' blocks, written as
HTML, Word and Excel by writers that walk the same document (section order exists
once). Reads only published numbers: a hidden count is blank there, so it cannot
reach the report. Every text comes from :mod:`evaluation.i18n`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..disclosure import is_small
from ..i18n import t
from .document import Bullets, Document, Heading, Paragraph, Preformatted, Section, Table

__all__ = ["build_document", "render_html", "write_docx", "write_xlsx", "Table", "Document"]


def build_document(ctx, scores: pd.DataFrame, provenance: dict) -> Document:
    """Summary, every analysis's sections in report order, methods, limitations, provenance.

    ``ctx`` is an :class:`evaluation.analyses.Context` over the published tables;
    ``scores`` (internal, never shown) gives the count of prorated scores.
    """
    from ..analyses import enabled

    study, lang = ctx.study, ctx.lang
    analyses = enabled(study)
    # every summary line is a sentence and starts with a capital; the primary results
    # first, then the other analyses in report order (SUMMARY_AFTER: after them)
    summarised = sorted((a for a in analyses if hasattr(a, "findings")),
                        key=lambda a: getattr(a, "SUMMARY_AFTER", False))
    findings = [_sentence(f) for a in summarised for f in a.findings(ctx)]
    exploratory = [_sentence(e) for a in summarised if hasattr(a, "exploratory") for e in a.exploratory(ctx)]
    doc = Document(lang, study.title, t("report", lang))
    summary = [Paragraph(t("summary_intro", lang)), Bullets(findings)]
    if exploratory:  # apart from the findings, and said to be exploratory
        from ..analyses.paired_change import headline

        summary += [Heading(t("exploratory", lang)),
                    Paragraph(t("exploratory_intro", lang, effect=t(f"effect_{headline(study)}", lang))),
                    Bullets(exploratory)]
    doc.sections.append(Section("summary", t("summary", lang), summary))
    for a in analyses:
        doc.sections += a.blocks(ctx)
    methods = [b for a in analyses if hasattr(a, "methods") for b in a.methods(ctx)]
    methods.append(Paragraph(t("suppressed_note", lang, min_n=ctx.min_n)))
    methods += [Heading(t("scoring", lang)), Bullets(_scoring(study, scores, ctx.min_n))]
    doc.sections.append(Section("methods", t("methods", lang), methods))
    doc.sections.append(Section("limitations", t("limitations", lang), [Paragraph(t("limitations_text", lang))]))
    doc.sections.append(Section("provenance", t("provenance", lang), [
        Paragraph(f"{t('generated', lang)}: {provenance['generated']}"),
        Heading(t("input_files", lang)),
        Bullets([f"{f['path']}: {f['sha256']}" for f in provenance["inputs"]]),
        Heading(t("packages", lang)),
        Bullets([f"{k} {v}" for k, v in provenance["versions"].items()]),
        Heading(t("config", lang)),
        Preformatted(provenance["config"], folded=t("config_show", lang))]))
    return doc


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _scoring(study, scores: pd.DataFrame, min_n: int) -> list[str]:
    """How each instrument was scored, with the number of prorated and unscorable scores."""
    def count(v: int) -> str:  # counts in no table: hidden when small (CONTRACT section 7)
        return f"< {min_n}" if is_small(v, min_n) else str(v)

    # every score row's instrument and scale as integer codes, and the number of items
    # of its scale (0: not an item-level scale), so that the counts are three bincounts
    instrument_of, instruments = pd.factorize(scores["instrument"].astype(object))
    scale_of, scales = pd.factorize(scores["scale"].astype(object))
    items = np.zeros((len(instruments), len(scales) + 1), dtype=np.int64)  # the last: no scale
    for i, iid in enumerate(instruments):
        for scale, idx in study.instruments[iid].scale_items().items() if iid in study.instruments else ():
            if scale in scales:
                items[i, scales.get_loc(scale)] = len(idx)
    known = instrument_of >= 0
    instrument_of, scale_of = instrument_of[known], scale_of[known]
    full = items[instrument_of, scale_of]
    item_scale = full > 0
    valid = scores["score"].notna().to_numpy()[known]
    answered = scores["n_answered"].to_numpy(dtype=float, na_value=np.nan)[known]
    per_instrument = np.stack([np.bincount(instrument_of, weights=w, minlength=len(instruments))
                               for w in (item_scale, item_scale & valid & (answered < full), item_scale & ~valid)])
    out = []
    for iid, instrument in study.instruments.items():
        total, prorated, missing = (per_instrument[:, instruments.get_loc(iid)].astype(int)
                                    if iid in instruments else (0, 0, 0))
        out.append(f"{instrument.title(study.language)}: {instrument.rule_text(study.language)}. "
                   + t("prorated", study.language, n=count(int(prorated)), total=count(int(total)),
                       missing=count(int(missing))))
    return out


def render_html(doc: Document, figure_dir) -> str:
    from .html import render

    return render(doc, figure_dir)


def write_docx(doc: Document, figure_dir, path, figures=None, ready=None) -> None:
    """See :func:`evaluation.report.docx.write`."""
    from .docx import write

    write(doc, figure_dir, path, figures, ready)


def write_xlsx(doc: Document, tables: dict[str, pd.DataFrame], path, study=None) -> None:
    from .xlsx import write

    write(doc, tables, path, study)
