"""Change within people: paired statistics per outcome x contrast x grouping x group
(CONTRACT section 4, the results table), their figures and the summary's findings."""
from __future__ import annotations

import pandas as pd

from ..i18n import (contrast_label, format_number, group_text, grouping_label, hidden_mark, interval, p_phrase,
                    p_text, t)
from ..report.document import FigureRef, Heading, Paragraph, Section, Table
from .rows import records

NAME = "results"
NEEDS = ("pairs",)
KEYS = ["outcome", "from_wave", "to_wave", "grouping", "group"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "grouping": "the grouping", "group": "the group", "n": "complete pairs",
    "n_pre": "valid scores at the earlier wave", "n_post": "valid scores at the later wave",
    "pre_mean": "mean at the earlier wave (complete pairs)", "pre_sd": "its SD (n - 1)",
    "post_mean": "mean at the later wave", "post_sd": "its SD", "diff_mean": "mean difference (later - earlier)",
    "diff_sd": "SD of the differences", "diff_ci_low": "t-based CI of the mean difference",
    "diff_ci_high": "its upper end", "t": "paired t", "df": "n - 1", "p_t": "two-sided p of the t-test",
    "p_t_adj": "p_t adjusted across outcomes within contrast, grouping and group", "wilcoxon_v": "signed-rank V",
    "p_wilcoxon": "its p (R 4.2)", "r_rb": "matched-pairs rank-biserial r", "d_z": "mean / SD of differences",
    "d_z_ci_low": "noncentral-t CI of d_z", "d_z_ci_high": "its upper end", "g_z": "d_z x J(n - 1)",
    "d_av": "mean / average SD", "g_av": "d_av x J(n - 1)", "d_rm": "d_z x sqrt(2(1 - r))",
    "suppressed": "n < min_n (primary); the published table also hides the rows that protect those",
}
SIGNIFICANT = 0.05


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    from ..stats import results_table

    from ..measures import in_group_order

    a = study.analysis
    table = results_table(data.pairs, study.groupings, ci_level=a["ci_level"], correction=a["correction"],
                          min_n=a["min_n"])
    return in_group_order(table, study, ["from_wave", "to_wave", "outcome"])


def counts(model, table: pd.DataFrame, study) -> None:
    """n, n_pre and n_post of every row (the report shows n, the CSV all three); an
    outcome, contrast and group without a row is a published zero."""
    seen = set()
    for i, r in enumerate(table.itertuples(index=False)):
        grouping = [] if r.grouping == "all" else r.grouping.split("+")
        group = model.group_tuple(grouping, r.group)
        cells = model.cells(grouping, group)
        a, b = str(r.from_wave), str(r.to_wave)
        where = (f"{r.outcome}:{a}:{b}", tuple(grouping), group)
        model.add(NAME, i, "n", model.outcome_form(r.outcome, model.has(a, b), cells), key=True, cell=where)
        model.add(NAME, i, "n_pre", model.outcome_form(r.outcome, model.has(a), cells), shown=False, cell=where)
        model.add(NAME, i, "n_post", model.outcome_form(r.outcome, model.has(b), cells), shown=False, cell=where)
        seen.add((r.outcome, a, b, tuple(grouping), group))
    for grouping in model.table_groupings:
        for group in model.groups_of(grouping):
            cells = model.cells(grouping, group)
            for k in model.outcomes:
                for a, b in model.contrasts:
                    if (k, a, b, tuple(grouping), group) not in seen:
                        either = model.bit[a] | model.bit[b]
                        model.structural.append(model.outcome_form(k, lambda v, m=either: bool(v & m), cells))
    model.within_row += [("n_pre", "n"), ("n_post", "n")]


def figures(tables: dict[str, pd.DataFrame], study) -> dict:
    from .. import figures as draw

    results = tables[NAME]
    out = {}
    for outcome in study.outcomes:  # drawn when saved (possibly in parallel)
        out[f"means_{outcome}"] = lambda o=outcome: draw.means_plot(study, o, results)
        out[f"forest_{outcome}"] = lambda o=outcome: draw.forest_plot(study, o, results)
    return out


def _hidden(published: pd.DataFrame) -> pd.Series:
    return published["suppressed"].astype(str).str.lower() == "true"


def results_rows(ctx, outcome: str) -> Table:
    """The results of one outcome as formatted rows: mean (SD), difference [CI], p, d_z [CI].

    A hidden row reads ``< min_n`` when it is small itself and ``–`` when it was
    hidden to protect another.
    """
    study, lang = ctx.study, ctx.lang
    published = ctx.tables[NAME]
    reasons, _ = ctx.reasons(NAME)
    ci = int(round(study.analysis["ci_level"] * 100))
    several = len(study.contrasts) > 1
    header = [t("group", lang), t("col_n", lang), t("col_pre", lang), t("col_post", lang),
              t("col_diff", lang).replace("95", str(ci)), t("col_p", lang), t("col_p_adj", lang),
              t("col_p_w", lang), t("col_dz", lang).replace("95", str(ci)), t("col_gav", lang)]
    if several:  # "Før, gns. (SD)" is the contrast's earlier wave
        header = [t("col_contrast", lang), *header]
    rows, flags = [], []
    hidden = _hidden(published)
    for i, r in records(published[published["outcome"] == outcome]):
        grouping = grouping_label(study, r["grouping"])
        label = grouping if r["group"] == "all" else f"{grouping}: {group_text(study, r['grouping'], r['group'])}"
        lead = [contrast_label(study, (r["from_wave"], r["to_wave"]))] if several else []
        if hidden[i]:
            rows.append([*lead, label, hidden_mark(reasons.get(i), ctx.min_n)]
                        + [""] * (len(header) - 2 - len(lead)))
            flags.append(True)
            continue
        f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731
        rows.append([
            *lead, label, str(int(r["n"])),
            f"{f(r['pre_mean'])} ({f(r['pre_sd'])})", f"{f(r['post_mean'])} ({f(r['post_sd'])})",
            f"{f(r['diff_mean'])} [{f(r['diff_ci_low'])}; {f(r['diff_ci_high'])}]",
            p_text(r["p_t"], lang), p_text(r["p_t_adj"], lang), p_text(r["p_wilcoxon"], lang),
            f"{f(r['d_z'])} [{f(r['d_z_ci_low'])}; {f(r['d_z_ci_high'])}]", f(r["g_av"]),
        ])
        flags.append(False)
    better = t(f"better_{study.outcomes[outcome]['better']}", lang)
    caption = t("caption_results", lang, label=study.outcome_label(outcome), ci=ci, better=better)
    return Table(header, rows, flags, caption=caption)


def blocks(ctx) -> list[Section]:
    from ..figures import MEANS_MAX_GROUPS

    study, lang = ctx.study, ctx.lang
    reasons, _ = ctx.reasons(NAME)
    published = ctx.tables[NAME]
    out = [Paragraph(t("suppressed_note", lang, min_n=ctx.min_n), note=True)]
    if study.baseline_bands:
        names = ", ".join(grouping_label(study, g).lower() for g in study.baseline_bands)
        out.append(Paragraph(t("baseline_band_note", lang, groups=names), note=True))
    for outcome in study.outcomes:
        label = study.outcome_label(outcome)
        out += [Heading(label), results_rows(ctx, outcome)]
        if any(reasons.get(i) == "protect" for i in published.index[published["outcome"] == outcome]):
            out.append(Paragraph(t("protected_footnote", lang), note=True))
        ci = int(round(study.analysis["ci_level"] * 100))
        better = t(f"better_{study.outcomes[outcome]['better']}", lang)
        means = t("caption_means", lang, label=label, ci=ci, better=better, most=MEANS_MAX_GROUPS)
        forest = t("caption_forest", lang, label=label, ci=ci)
        out += [FigureRef(f"means_{outcome}", means, means), FigureRef(f"forest_{outcome}", forest, forest)]
    return [Section("results", t("results", lang), out)]


def headline(study) -> str:
    """The effect size the summary names first (``analysis.headline_effect``)."""
    return study.analysis.get("headline_effect", "g_av")


def _toward(row, sign: float, name: str) -> float:
    """An effect size of ``row`` turned so that the named direction is positive."""
    return sign * float(row[name])


def _effects(row, sign: float, study, lang: str) -> str:
    """"Hedges' g_av = 0,23; Cohens d_z = 0,27 [95 %-KI 0,10; 0,44]", every number in
    the direction the sentence names (``sign``)."""
    level = int(round(study.analysis["ci_level"] * 100))
    low, high = sorted((_toward(row, sign, "d_z_ci_low"), _toward(row, sign, "d_z_ci_high")))
    dz = (f"{t('effect_d_z', lang)} = {format_number(_toward(row, sign, 'd_z'), lang)} "
          f"[{t('ci_of', lang, ci=level)} {interval(low, high, lang)}]")
    name = headline(study)
    if name == "d_z" or pd.isna(row.get(name)):
        return dz
    return f"{t(f'effect_{name}', lang)} = {format_number(_toward(row, sign, name), lang)}; {dz}"


def findings(ctx) -> list[str]:
    """One sentence per contrast and outcome (overall): the direction in words, the
    change in points, the headline effect size and d_z with its CI, how sure."""
    study, lang = ctx.study, ctx.lang
    published = ctx.tables[NAME].copy()
    hidden = _hidden(published)
    out = []
    several = len(study.contrasts) > 1
    for (a, b), outcome in ((c, o) for c in study.contrasts for o in study.outcomes):
        sel = (published["outcome"] == outcome) & (published["from_wave"] == a) & (published["to_wave"] == b)
        rows = published[sel]
        if rows.empty or not (rows["grouping"] == "all").any():
            continue
        overall = rows[rows["grouping"] == "all"].iloc[0]
        label = study.outcome_label(outcome)
        if several:
            label = f"{label} ({contrast_label(study, (a, b))})"
        if hidden[overall.name]:
            out.append(t("finding_suppressed", lang, label=label))
            continue
        diff = float(overall["diff_mean"])
        better = study.toward_better(outcome) * diff > 0
        significant = overall["p_t_adj"] < SIGNIFICANT
        if diff == 0:
            key = "finding_unchanged"
        elif significant:
            key = "finding_improved" if better else "finding_worsened"
        else:
            key = "finding_unclear_better" if better else "finding_unclear_worse"
        sign = -1.0 if diff < 0 else 1.0
        out.append(t(key, lang, label=label, diff=format_number(abs(diff), lang),
                     effects=_effects(overall, sign, study, lang), p=p_phrase(overall["p_t_adj"], lang)))
    return out


def exploratory(ctx) -> list[str]:
    """The subgroups, apart from the findings: per outcome, contrast and one-group
    grouping, the range of the headline effect over its published groups, turned
    towards improvement (never which subgroup is "significant")."""
    study, lang = ctx.study, ctx.lang
    published = ctx.tables[NAME]
    shown = published[~_hidden(published) & (published["grouping"] != "all")
                      & ~published["grouping"].astype(str).str.contains("+", regex=False)]
    name = headline(study)
    several = len(study.contrasts) > 1
    out = []
    for (a, b), outcome in ((c, o) for c in study.contrasts for o in study.outcomes):
        rows = shown[(shown["outcome"] == outcome) & (shown["from_wave"] == a) & (shown["to_wave"] == b)]
        label = study.outcome_label(outcome)
        if several:
            label = f"{label} ({contrast_label(study, (a, b))})"
        sign = study.toward_better(outcome)
        for grouping, part in rows.groupby("grouping", sort=False):
            values = part[name].astype(float) * sign
            part = part[values.notna()]
            values = values.dropna()
            if values.empty:
                continue
            where = grouping_label(study, grouping).lower()
            lo, hi = part.loc[values.idxmin()], part.loc[values.idxmax()]
            if len(values) == 1:
                out.append(t("exploratory_single", lang, label=label, grouping=where,
                             value=format_number(values.iloc[0], lang), group=group_text(study, grouping, lo["group"])))
            else:
                out.append(t("exploratory_item", lang, label=label, grouping=where,
                             low=format_number(values.min(), lang), low_group=group_text(study, grouping, lo["group"]),
                             high=format_number(values.max(), lang),
                             high_group=group_text(study, grouping, hi["group"])))
    return out


def methods(ctx) -> list:
    correction = {"holm": "Holm", "bonferroni": "Bonferroni", "fdr_bh": "Benjamini-Hochberg (FDR)",
                  "none": "—"}[ctx.study.analysis["correction"]]
    return [Paragraph(t("methods_text", ctx.lang, ci=int(round(ctx.study.analysis["ci_level"] * 100)),
                        correction=correction))]
