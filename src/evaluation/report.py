"""Presentation: the published tables formatted for people, and the HTML report.

Reads only published numbers (``reports/<study>/tables/``): a suppressed cell is
blank there, so it cannot reach the report. Text comes from :mod:`.i18n`.
"""
from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import jinja2
import pandas as pd
from markupsafe import Markup

from .config import Study
from .disclosure import is_small
from .i18n import contrast_label, format_number, grouping_label, t, wave_label
from .instruments import band_sort_key

__all__ = ["Table", "build_content", "render_html", "write_docx", "write_xlsx", "results_rows", "html_table",
           "findings"]

_SIG = 0.05


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]],
               suppressed: Sequence[bool] | None = None) -> Markup:
    """A plain HTML table; every cell is escaped."""
    out = ["<table><thead><tr>", *(f"<th>{html.escape(str(h))}</th>" for h in header), "</tr></thead><tbody>"]
    for i, row in enumerate(rows):
        cls = ' class="suppressed"' if suppressed is not None and suppressed[i] else ""
        out.append("<tr>" + "".join(f"<td{cls}>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</tbody></table>")
    return Markup("".join(out))


def _p(value: float, lang: str) -> str:
    if pd.isna(value):
        return "–"
    if value < 0.001:
        return "< 0,001" if lang == "da" else "< 0.001"
    return format_number(value, lang, 3)


def _p_phrase(value: float, lang: str) -> str:
    """'= 0,021' or '< 0,001', to follow a 'p' in a sentence."""
    text = _p(value, lang)
    return text if text.startswith("<") else f"= {text}"


def results_rows(study: Study, published: pd.DataFrame, outcome: str,
                 hidden: dict[int, str] | None = None) -> tuple[list[str], list[list[str]], list[bool]]:
    """The results of one outcome as formatted rows: mean (SD), difference [CI], p, d_z [CI].

    A hidden row reads ``< min_n`` when it is small itself and ``–`` when it was
    hidden to protect another (``hidden``: row position -> "small" | "protect").
    """
    hidden = hidden or {}
    lang = study.language
    min_n = study.analysis["min_n"]
    ci = int(round(study.analysis["ci_level"] * 100))
    several = len(study.contrasts) > 1
    header = [t("group", lang), t("col_n", lang), t("col_pre", lang), t("col_post", lang),
              t("col_diff", lang).replace("95", str(ci)), t("col_p", lang), t("col_p_adj", lang),
              t("col_p_w", lang), t("col_dz", lang).replace("95", str(ci)), t("col_gav", lang)]
    if several:  # "Før, gns. (SD)" is the contrast's earlier wave
        header = [t("col_contrast", lang), *header]
    rows, flags = [], []
    for i, r in published[published["outcome"] == outcome].iterrows():
        grouping = grouping_label(study, r["grouping"])
        label = grouping if r["group"] == "all" else f"{grouping}: {r['group'].replace('+', ' · ')}"
        lead = [contrast_label(study, (r["from_wave"], r["to_wave"]))] if several else []
        if bool(r["suppressed"]):
            mark = "–" if hidden.get(i) == "protect" else f"< {min_n}"
            rows.append([*lead, label, mark] + [""] * (len(header) - 2 - len(lead)))
            flags.append(True)
            continue
        f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731
        rows.append([
            *lead, label, str(int(r["n"])),
            f"{f(r['pre_mean'])} ({f(r['pre_sd'])})", f"{f(r['post_mean'])} ({f(r['post_sd'])})",
            f"{f(r['diff_mean'])} [{f(r['diff_ci_low'])}; {f(r['diff_ci_high'])}]",
            _p(r["p_t"], lang), _p(r["p_t_adj"], lang), _p(r["p_wilcoxon"], lang),
            f"{f(r['d_z'])} [{f(r['d_z_ci_low'])}; {f(r['d_z_ci_high'])}]", f(r["g_av"]),
        ])
        flags.append(False)
    return header, rows, flags


def findings(study: Study, published: pd.DataFrame) -> list[str]:
    """Plain-language summary: which outcomes changed, how much, how sure."""
    lang = study.language
    out = []
    several = len(study.contrasts) > 1
    for (a, b), (outcome, spec) in ((c, o) for c in study.contrasts for o in study.outcomes.items()):
        rows = published[(published["outcome"] == outcome) & (published["from_wave"] == a)
                         & (published["to_wave"] == b)]
        if rows.empty or not (rows["grouping"] == "all").any():
            continue
        overall = rows[rows["grouping"] == "all"].iloc[0]
        label = study.outcome_label(outcome)
        if several:
            label = f"{label} ({contrast_label(study, (a, b))})"
        if bool(overall["suppressed"]):
            out.append(t("finding_suppressed", lang, label=label))
            continue
        diff = overall["diff_mean"]
        better = (diff > 0) == (spec["better"] == "higher")
        significant = overall["p_t_adj"] < _SIG
        key = "finding_none" if not significant else ("finding_improved" if better else "finding_worsened")
        out.append(t(key, lang, label=label, diff=format_number(abs(diff) if significant else diff, lang),
                     dz=format_number(overall["d_z"], lang), p=_p_phrase(overall["p_t_adj"], lang)))
        sub = rows[(rows["grouping"] != "all") & ~rows["suppressed"].astype(bool) & (rows["p_t_adj"] < _SIG)]
        if len(sub):
            groups = ", ".join(f"{g.replace('+', ' · ')} (d_z = {format_number(d, lang)})"
                               for g, d in zip(sub["group"], sub["d_z"]))
            out[-1] += " " + t("finding_group", lang, groups=groups)
    return out


def _image(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def _hidden_mark(reason: str | None, min_n: int) -> str:
    return "–" if reason == "protect" else f"< {min_n}"


def band_rows(study: Study, bands: pd.DataFrame, outcome: str,
              hidden: dict[int, str] | None = None) -> "Table | None":
    """Share in each band before and after (complete pairs); a hidden count reads
    '< min_n' (small) or '–' (hidden to protect another)."""
    hidden = hidden or {}
    lang = study.language
    rows = bands[bands["outcome"] == outcome]
    if rows.empty:
        return None
    min_n = study.analysis["min_n"]
    columns = []  # (header, rows of one wave of one contrast)
    for a, b in study.contrasts:
        part = rows[(rows["from_wave"] == a) & (rows["to_wave"] == b)]
        if part.empty:
            continue
        for wave in (a, b):
            name = wave_label(study, wave)
            if len(study.contrasts) > 1:
                name = f"{name} ({contrast_label(study, (a, b))})"
            columns.append((name, part[part["wave"] == wave]))
    body = []
    for band in sorted(dict.fromkeys(rows["band"]), key=band_sort_key):
        cells = [t(f"band_{band}", lang)]
        for _, part in columns:
            r = part[part["band"] == band]
            if r.empty:
                cells.append("0")
            elif str(r["suppressed"].iloc[0]).lower() == "true" or pd.isna(r["n"].iloc[0]):
                cells.append(_hidden_mark(hidden.get(r.index[0]), min_n))
            else:
                cells.append(f"{int(r['n'].iloc[0])} ({format_number(100 * float(r['share'].iloc[0]), lang, 0)} %)")
        body.append(cells)
    return Table([t("band", lang), *(name for name, _ in columns)], body)


@dataclass
class Table:
    """A table formatted for people: the same rows go to HTML, Word and Excel."""

    header: list[str]
    rows: list[list[str]]
    suppressed: list[bool] | None = None


def build_content(study: Study, *, results: pd.DataFrame, reliability: pd.DataFrame, flow: pd.DataFrame,
                  bands: pd.DataFrame, issues: pd.DataFrame, scores: pd.DataFrame,
                  disclosure: dict | None = None, ingest: dict | None = None) -> dict:
    """Everything the report says, as text and formatted tables (no markup).

    ``disclosure`` is what :func:`evaluation.disclosure.protect` decided (rows and
    single counts hidden, and why), as written by the tables stage; ``ingest`` the
    facts ingest counted (answers given as a missing code per instrument, people
    whose group value changed between waves).
    """
    lang = study.language
    min_n = study.analysis["min_n"]
    disclosure = disclosure or {}

    def count(v: int) -> str:  # counts in no table: hidden when small (CONTRACT section 7)
        return f"< {min_n}" if is_small(v, min_n) else str(v)

    def reasons(table: str) -> tuple[dict[int, str], dict[tuple[int, str], str]]:
        d = disclosure.get(table, {})
        return ({int(r): why for r, why in d.get("rows", {}).items()},
                {(int(r), c): why for r, c, why in d.get("cells", [])})

    results = results.copy()
    results["suppressed"] = results["suppressed"].astype(str).str.lower() == "true"
    result_rows, _ = reasons("results")
    band_hidden_rows, band_cells = reasons("band_shares")
    band_hidden = {**band_hidden_rows, **{r: why for (r, c), why in band_cells.items() if c == "n"}}
    outcomes = []
    for outcome in study.outcomes:
        header, rows, flags = results_rows(study, results, outcome, result_rows)
        protected = any(result_rows.get(i) == "protect" for i in results.index[results["outcome"] == outcome])
        outcomes.append({"id": outcome, "label": study.outcome_label(outcome),
                         "table": Table(header, rows, flags), "bands": band_rows(study, bands, outcome, band_hidden),
                         "footnote": t("protected_footnote", lang) if protected else ""})

    flow_hidden_rows, flow_cells = reasons("participant_flow")
    flow_rows = []
    flow_columns = ["enrolled", *(["not_included"] if study.spec.get("include") else []),
                    *(f"answered_{w}" for w in study.waves), *(f"complete_{a}_{b}" for a, b in study.contrasts)]
    flow_header = [t("group", lang), t("flow_enrolled", lang),
                   *([t("flow_not_included", lang)] if study.spec.get("include") else []),
                   *(t("flow_answered", lang, wave=wave_label(study, w)) for w in study.waves),
                   *(t("flow_complete", lang, contrast=contrast_label(study, c)) for c in study.contrasts)]
    for i, r in flow.iterrows():
        name = t("overall", lang) if r["group"] == "all" else str(r["group"]).replace("+", " · ")
        if str(r.get("suppressed")).lower() == "true":
            flow_rows.append([name, _hidden_mark(flow_hidden_rows.get(i), min_n)] + [""] * (len(flow_columns) - 1))
        else:
            flow_rows.append([name] + [_hidden_mark(flow_cells.get((i, c)), min_n) if pd.isna(r[c])
                                       else str(int(r[c])) for c in flow_columns])
    flow_table = Table(flow_header, flow_rows)
    flow_protected = "protect" in flow_hidden_rows.values() or "protect" in flow_cells.values()

    rel_rows = [[r["instrument"], r["scale"], wave_label(study, r["wave"]),
                 f"< {min_n}" if str(r.get("suppressed")).lower() == "true" else str(int(r["n"])),
                 format_number(r["alpha"], lang), format_number(r["omega"], lang)]
                for _, r in reliability.iterrows()]
    reliability_table = Table([t("col_instrument", lang), t("col_scale", lang), t("col_wave", lang), "n",
                               t("col_alpha", lang), t("col_omega", lang)], rel_rows)

    issues_table = None
    if len(issues):
        issues_table = Table([t(f"col_{c}", lang) for c in ("source", "line", "column", "rule")],
                             issues[["source", "line", "column", "rule"]].fillna("").astype(str)
                             .values.tolist())

    scoring = []
    for iid, instrument in study.instruments.items():
        s = scores[scores["instrument"] == iid]
        item_scales = s[s["scale"].isin(instrument.scale_items())]
        total_items = {sc: len(ix) for sc, ix in instrument.scale_items().items()}
        full = item_scales["scale"].map(total_items)
        prorated = int((item_scales["score"].notna() & (item_scales["n_answered"] < full)).sum())
        scoring.append({"id": iid, "rule": instrument.rule_text,
                        "prorated": t("prorated", lang, n=count(prorated), total=count(len(item_scales)),
                                      missing=count(int(item_scales["score"].isna().sum())))})

    ingest = ingest or {}
    data_notes = []
    codes = study.spec.get("missing", [])
    for iid, n in (ingest.get("missing_codes") or {}).items():
        own = study.spec["instruments"][iid].get("missing", codes)
        data_notes.append(t("missing_codes_note", lang, instrument=iid, n=count(n),
                            codes=", ".join(f"“{c}”" for c in own)))
    for gid, n in (ingest.get("group_changes") or {}).items():
        data_notes.append(t("group_changes_note", lang, n=count(n), group=grouping_label(study, gid).lower()))

    correction = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg (FDR)",
                  "none": "—"}[study.analysis["correction"]]
    return {
        "lang": lang, "title": study.title, "study_id": study.id, "findings": findings(study, results),
        "flow_table": flow_table, "outcomes": outcomes,
        "flow_footnote": t("protected_footnote", lang) if flow_protected else "", "reliability_table": reliability_table,
        "issues_table": issues_table, "issues_text": t("data_issues_text", lang, n=len(issues)),
        "data_notes": data_notes,
        "suppressed_note": t("suppressed_note", lang, min_n=min_n),
        "methods_text": t("methods_text", lang, ci=int(round(study.analysis["ci_level"] * 100)),
                          correction=correction),
        "scoring": scoring,
    }


def render_html(content: dict, figure_dir: Path, provenance: dict) -> str:
    """The self-contained HTML report (figures inlined as data URIs)."""
    lang = content["lang"]
    env = jinja2.Environment(loader=jinja2.PackageLoader("evaluation", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)

    def table(tab: Table | None) -> Markup | None:
        return None if tab is None else html_table(tab.header, tab.rows, tab.suppressed)

    outcomes = [{**o, "table": table(o["table"]), "bands": table(o["bands"])} for o in content["outcomes"]]
    images = {p.stem: _image(p) for p in sorted(figure_dir.glob("*.png"))}
    template = env.get_template("report.html.j2")
    return template.render(
        **{**content, "outcomes": outcomes, "flow_table": table(content["flow_table"]),
           "reliability_table": table(content["reliability_table"]),
           "issues_table": table(content["issues_table"])},
        t=lambda key, **kw: t(key, lang, **kw), images=images, provenance=provenance)


def write_docx(content: dict, figure_dir: Path, provenance: dict, path: Path) -> None:
    """The report as a Word document (headings, tables, figures) for editing."""
    from docx import Document
    from docx.shared import Cm, Pt

    lang = content["lang"]
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(content["title"], level=0)
    doc.add_paragraph(f"{t('report', lang)} · {content['study_id']}")

    def add_table(tab: Table | None) -> None:
        if tab is None:
            return
        table = doc.add_table(rows=1, cols=len(tab.header))
        table.style = "Light Grid Accent 1"
        for cell, text in zip(table.rows[0].cells, tab.header):
            cell.text = text
        for row in tab.rows:
            for cell, text in zip(table.add_row().cells, row):
                cell.text = text
        doc.add_paragraph()

    def add_figure(stem: str) -> None:
        png = figure_dir / f"{stem}.png"
        if png.exists():
            doc.add_picture(str(png), width=Cm(15))

    doc.add_heading(t("summary", lang), level=1)
    doc.add_paragraph(t("summary_intro", lang))
    for finding in content["findings"]:
        doc.add_paragraph(finding, style="List Bullet")
    doc.add_heading(t("flow", lang), level=1)
    add_figure("flow")
    add_table(content["flow_table"])
    if content["flow_footnote"]:
        doc.add_paragraph(content["flow_footnote"])
    doc.add_heading(t("results", lang), level=1)
    doc.add_paragraph(content["suppressed_note"])
    for o in content["outcomes"]:
        doc.add_heading(o["label"], level=2)
        add_table(o["table"])
        if o["footnote"]:
            doc.add_paragraph(o["footnote"])
        if o["bands"] is not None:
            doc.add_paragraph(t("band_intro", lang))
            add_table(o["bands"])
        for kind in ("means", "forest", "bands"):
            add_figure(f"{kind}_{o['id']}")
    doc.add_heading(t("reliability", lang), level=1)
    add_table(content["reliability_table"])
    doc.add_heading(t("data_issues", lang), level=1)
    if content["issues_table"] is None:
        doc.add_paragraph(t("no_data_issues", lang))
    else:
        doc.add_paragraph(content["issues_text"])
        add_table(content["issues_table"])
    for note in content["data_notes"]:
        doc.add_paragraph(note)
    doc.add_heading(t("methods", lang), level=1)
    doc.add_paragraph(content["methods_text"])
    for s in content["scoring"]:
        doc.add_paragraph(f"{s['id']}: {s['rule']}. {s['prorated']}", style="List Bullet")
    doc.add_heading(t("limitations", lang), level=1)
    doc.add_paragraph(t("limitations_text", lang))
    doc.add_heading(t("provenance", lang), level=1)
    doc.add_paragraph(f"{t('generated', lang)}: {provenance['generated']}")
    for f in provenance["inputs"]:
        doc.add_paragraph(f"{f['path']}: {f['sha256']}", style="List Bullet")
    props = doc.core_properties
    props.title = content["title"][:255]  # the document property holds at most 255 characters
    props.author = props.last_modified_by = "evaluation"
    props.revision = 1
    props.created = props.modified = _document_date()
    doc.save(str(path))


def _document_date():
    """The date written into DOCX/XLSX metadata: ``SOURCE_DATE_EPOCH`` if set, else now."""
    import datetime
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = datetime.datetime.fromtimestamp(float(epoch), datetime.timezone.utc) if epoch else \
        datetime.datetime.now(datetime.timezone.utc)
    return moment.replace(tzinfo=None, microsecond=0)


def write_xlsx(content: dict, tables: dict[str, pd.DataFrame], path: Path) -> None:
    """The published tables, one sheet each, as numbers; a notes sheet says how to read them."""
    lang = content["lang"]
    notes = pd.DataFrame({"note": [content["title"], content["suppressed_note"], content["methods_text"],
                                   t("limitations_text", lang)]})
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
        notes.to_excel(writer, sheet_name="notes", index=False)
        book = writer.book
        for sheet in book.worksheets:  # text is text: "=HYPERLINK(...)" in a group name is no formula
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":
                        cell.data_type = "s"
        book.properties.creator = book.properties.lastModifiedBy = "evaluation"
        book.properties.created = book.properties.modified = _document_date()
