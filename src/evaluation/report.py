"""Presentation: the published tables formatted for people, and the HTML report.

Reads only published numbers (``reports/<study>/tables/``): a suppressed cell is
blank there, so it cannot reach the report. Text comes from :mod:`.i18n`.
"""
from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Sequence

import jinja2
import pandas as pd
from markupsafe import Markup

from .config import Study
from .i18n import format_number, t

__all__ = ["render_html", "results_rows", "html_table", "findings"]

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


def results_rows(study: Study, published: pd.DataFrame, outcome: str) -> tuple[list[str], list[list[str]], list[bool]]:
    """The results of one outcome as formatted rows: mean (SD), difference [CI], p, d_z [CI]."""
    lang = study.language
    min_n = study.analysis["min_n"]
    ci = int(round(study.analysis["ci_level"] * 100))
    header = [t("group", lang), t("col_n", lang), t("col_pre", lang), t("col_post", lang),
              t("col_diff", lang).replace("95", str(ci)), t("col_p", lang), t("col_p_adj", lang),
              t("col_p_w", lang), t("col_dz", lang).replace("95", str(ci)), t("col_gav", lang)]
    rows, flags = [], []
    for _, r in published[published["outcome"] == outcome].iterrows():
        grouping = t(f"grouping_{r['grouping']}", lang) if f"grouping_{r['grouping']}" in _grouping_keys() else r["grouping"]
        label = grouping if r["group"] == "all" else f"{grouping}: {r['group'].replace('+', ' · ')}"
        if bool(r["suppressed"]):
            rows.append([label, f"< {min_n}"] + [""] * (len(header) - 2))
            flags.append(True)
            continue
        f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731
        rows.append([
            label, str(int(r["n"])),
            f"{f(r['pre_mean'])} ({f(r['pre_sd'])})", f"{f(r['post_mean'])} ({f(r['post_sd'])})",
            f"{f(r['diff_mean'])} [{f(r['diff_ci_low'])}; {f(r['diff_ci_high'])}]",
            _p(r["p_t"], lang), _p(r["p_t_adj"], lang), _p(r["p_wilcoxon"], lang),
            f"{f(r['d_z'])} [{f(r['d_z_ci_low'])}; {f(r['d_z_ci_high'])}]", f(r["g_av"]),
        ])
        flags.append(False)
    return header, rows, flags


def _grouping_keys() -> set[str]:
    from .i18n import TEXTS

    return {k for k in TEXTS if k.startswith("grouping_")}


def findings(study: Study, published: pd.DataFrame) -> list[str]:
    """Plain-language summary: which outcomes changed, how much, how sure."""
    lang = study.language
    out = []
    for outcome, spec in study.outcomes.items():
        rows = published[published["outcome"] == outcome]
        overall = rows[rows["grouping"] == "all"].iloc[0]
        label = study.outcome_label(outcome)
        if bool(overall["suppressed"]):
            out.append(t("finding_suppressed", lang, label=label))
            continue
        diff = overall["diff_mean"]
        better = (diff > 0) == (spec["better"] == "higher")
        significant = overall["p_t_adj"] < _SIG
        key = "finding_none" if not significant else ("finding_improved" if better else "finding_worsened")
        out.append(t(key, lang, label=label, diff=format_number(abs(diff) if significant else diff, lang),
                     dz=format_number(overall["d_z"], lang), p=_p(overall["p_t_adj"], lang)))
        sub = rows[(rows["grouping"] != "all") & ~rows["suppressed"].astype(bool) & (rows["p_t_adj"] < _SIG)]
        if len(sub):
            groups = ", ".join(f"{g.replace('+', ' · ')} (d_z = {format_number(d, lang)})"
                               for g, d in zip(sub["group"], sub["d_z"]))
            out[-1] += " " + t("finding_group", lang, groups=groups)
    return out


def _image(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode("ascii")


def band_table(study: Study, bands: pd.DataFrame, outcome: str) -> Markup | None:
    """Share in each band before and after (complete pairs); suppressed counts as '< min_n'."""
    lang = study.language
    rows = bands[bands["outcome"] == outcome]
    if rows.empty:
        return None
    min_n = study.analysis["min_n"]
    body = []
    order = ["normal", "borderline", "abnormal", "close_to_average", "slightly_raised", "slightly_lowered",
             "high", "low", "very_high", "very_low", "not_poor", "poor_wellbeing"]
    for band in sorted(dict.fromkeys(rows["band"]), key=lambda b: order.index(b) if b in order else len(order)):
        cells = [t(f"band_{band}", lang)]
        for wave in ("pre", "post"):
            r = rows[(rows["wave"] == wave) & (rows["band"] == band)]
            if r.empty:
                cells.append("0")
            elif str(r["suppressed"].iloc[0]).lower() == "true":
                cells.append(f"< {min_n}")
            else:
                cells.append(f"{int(r['n'].iloc[0])} ({format_number(100 * float(r['share'].iloc[0]), lang, 0)} %)")
        body.append(cells)
    return html_table([t("band", lang), t("pre", lang), t("post", lang)], body)


def render_html(study: Study, *, results: pd.DataFrame, reliability: pd.DataFrame, flow: pd.DataFrame,
                bands: pd.DataFrame, issues: pd.DataFrame, scores: pd.DataFrame, figure_dir: Path,
                provenance: dict) -> str:
    """The self-contained HTML report (figures inlined as data URIs)."""
    lang = study.language
    min_n = study.analysis["min_n"]
    results = results.copy()
    results["suppressed"] = results["suppressed"].astype(str).str.lower() == "true"
    env = jinja2.Environment(loader=jinja2.PackageLoader("evaluation", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    outcomes = []
    for outcome in study.outcomes:
        header, rows, flags = results_rows(study, results, outcome)
        outcomes.append({"id": outcome, "label": study.outcome_label(outcome),
                         "table": html_table(header, rows, flags), "bands": band_table(study, bands, outcome)})
    images = {p.stem: _image(p) for p in sorted(figure_dir.glob("*.png"))}

    flow_rows = []
    for _, r in flow.iterrows():
        name = t("overall", lang) if r["group"] == "all" else str(r["group"])
        if str(r.get("suppressed")).lower() == "true":
            flow_rows.append([name, f"< {min_n}", "", "", ""])
        else:
            flow_rows.append([name] + [str(int(r[c])) for c in ("enrolled", "baseline", "followup", "both_waves")])
    flow_table = html_table([t("group", lang), t("flow_enrolled", lang), t("flow_baseline", lang),
                             t("flow_followup", lang), t("flow_both_waves", lang)], flow_rows)

    rel_rows = [[r["instrument"], r["scale"], t(r["wave"], lang), str(int(r["n"])),
                 format_number(r["alpha"], lang), format_number(r["omega"], lang)]
                for _, r in reliability.iterrows()]
    reliability_table = html_table([t("col_instrument", lang), t("col_scale", lang), t("col_wave", lang), "n",
                                    t("col_alpha", lang), t("col_omega", lang)], rel_rows)

    issues_table = None
    if len(issues):
        issues_table = html_table([t(f"col_{c}", lang) for c in ("source", "line", "column", "value", "rule")],
                                  issues[["source", "line", "column", "value", "rule"]].fillna("").values.tolist())

    scoring = []
    for iid, instrument in study.instruments.items():
        s = scores[scores["instrument"] == iid]
        item_scales = s[s["scale"].isin(instrument.scale_items())]
        total_items = {sc: len(ix) for sc, ix in instrument.scale_items().items()}
        full = item_scales["scale"].map(total_items)
        prorated = int((item_scales["score"].notna() & (item_scales["n_answered"] < full)).sum())
        scoring.append({"id": iid, "rule": instrument.rule_text,
                        "prorated": t("prorated", lang, n=prorated, total=len(item_scales),
                                      missing=int(item_scales["score"].isna().sum()))})

    correction = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg (FDR)",
                  "none": "—"}[study.analysis["correction"]]
    template = env.get_template("report.html.j2")
    return template.render(
        lang=lang, title=study.title, study_id=study.id, t=lambda key, **kw: t(key, lang, **kw),
        findings=findings(study, results), images=images, flow_table=flow_table, outcomes=outcomes,
        reliability_table=reliability_table, issues_table=issues_table,
        issues_text=t("data_issues_text", lang, n=len(issues)),
        suppressed_note=t("suppressed_note", lang, min_n=min_n),
        methods_text=t("methods_text", lang, ci=int(round(study.analysis["ci_level"] * 100)),
                       correction=correction),
        scoring=scoring, provenance=provenance,
    )
