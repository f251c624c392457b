"""The report: one document of sections, built from the analyses' blocks, written as
HTML, Word and Excel by writers that walk the same document (section order exists
once). Reads only published numbers: a hidden count is blank there, so it cannot
reach the report. Every text comes from :mod:`evaluation.i18n`.
"""
from __future__ import annotations

import pandas as pd

from ..disclosure import is_small
from ..i18n import t
from .document import Bullets, Document, Heading, Paragraph, Preformatted, Section, Table

__all__ = ["build_document", "render_html", "write_docx", "write_xlsx", "Table", "Document"]


def build_document(ctx, counts: pd.DataFrame, provenance: dict) -> Document:
    """Summary, every analysis's sections in report order, methods, limitations, provenance.

    ``ctx`` is an :class:`evaluation.analyses.Context` over the published tables;
    ``counts`` (:func:`evaluation.measures.scoring_counts`, internal, never shown)
    gives the numbers of prorated and unscorable scores.
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
    methods += [Heading(t("scoring", lang)), Bullets(_scoring(study, counts, ctx.min_n))]
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


def _scoring(study, counts: pd.DataFrame, min_n: int) -> list[str]:
    """How each instrument was scored, with the number of prorated and unscorable scores
    (``counts``: :func:`evaluation.measures.scoring_counts`)."""
    def count(v: int) -> str:  # counts in no table: hidden when small (CONTRACT section 7)
        return f"< {min_n}" if is_small(v, min_n) else str(v)

    # a few dozen groups (instrument x scale x items answered) stand for millions of rows
    rows = counts.groupby(["instrument", "scale"], sort=False)["n"].sum()
    answered = counts[counts["valid"]].groupby(["instrument", "scale", "n_answered"], sort=False)["n"].sum()
    out = []
    for iid, instrument in study.instruments.items():
        items = {scale: len(idx) for scale, idx in instrument.scale_items().items()}
        total = sum(n for (i, scale), n in rows.items() if i == iid and scale in items)
        scored = [(items[scale], k, n) for (i, scale, k), n in answered.items() if i == iid and scale in items]
        prorated = sum(n for full, k, n in scored if k < full)
        missing = total - sum(n for _, _, n in scored)
        out.append(f"{instrument.title(study.language)}: {instrument.rule_text(study.language)}. "
                   + t("prorated", study.language, n=count(prorated), total=count(total), missing=count(missing)))
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
