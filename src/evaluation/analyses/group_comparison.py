"""Is one variant better? Change compared between the levels of each group in
``compare`` (default: the programme variant) and its reference level: ANCOVA of the
later wave on the earlier one (adjusted difference, omnibus F), the same adjusted for
the groups in ``adjust``, Welch's test of the difference in mean change, WWC Hedges' g
and g_DD, and CR2 cluster-robust inference when families are known (CONTRACT section 5).
A difference in significance between two variants is not a significant difference;
this table is the test."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measures
from ..i18n import format_number, group_text, grouping_label, p_phrase, p_text, t
from ..report.document import FigureRef, Paragraph, Section
from .rows import cell_text, hidden_rows, outcome_text, table_of

NAME = "group_comparison"
NEEDS = ("pairs",)
COST = 5  # a regression with CR2 errors per group: the stage's longest
KEYS = ["outcome", "from_wave", "to_wave", "compared", "grouping", "group", "level"]
_STAT = ["diff", "se", "t", "df", "p", "ci_low", "ci_high"]
_CR2 = ["se", "t", "df", "p", "ci_low", "ci_high"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "compared": "the compared group", "grouping": "the cell's grouping ('all' or a one-group grouping)",
    "group": "the cell", "level": "the level compared with the reference", "reference": "the reference level",
    "n": "complete pairs of the cell", "n_ref": "of them at the reference level", "n_variant": "at the level",
    "change_mean_ref": "mean change at the reference", "change_mean_variant": "mean change at the level",
    "change_sd_ref": "SD of change at the reference", "change_sd_variant": "at the level",
    "post_sd_ref": "SD of the later wave at the reference", "post_sd_variant": "at the level",
    **{f"ancova_{k}": f"lm(post ~ pre + level): the level's coefficient, {k}" for k in _STAT},
    "ancova_f_F": "F of the level term (nested models)", "ancova_f_df1": "its numerator df",
    "ancova_f_df2": "its denominator df", "ancova_f_p": "its p",
    **{f"ancova_adj_{k}": f"lm(post ~ pre + adjust + level), {k} (cell all only; empty when aliased)" for k in _STAT},
    "ancova_adj_f_F": "F of the level term after adjust", "ancova_adj_f_df1": "its numerator df",
    "ancova_adj_f_df2": "its denominator df", "ancova_adj_f_p": "its p",
    "welch_diff": "difference in mean change, level - reference", "welch_t": "Welch's t", "welch_df": "its df",
    "welch_p": "two-sided p", "welch_ci_low": "CI of welch_diff", "welch_ci_high": "its upper end",
    "post_sd_pooled": "pooled SD of the unadjusted later-wave scores of the two levels",
    "omega": "1 - 3 / (4N - 9), N = n_ref + n_variant", "g_wwc_ancova": "omega x ancova_diff / post_sd_pooled",
    "g_wwc_ancova_adj": "omega x ancova_adj_diff / post_sd_pooled",
    "g_dd": "omega x difference in mean change / post_sd_pooled",
    **{f"ancova_cr2_{k}": f"CR2 cluster-robust (families), {k}; both levels span >= 2 families" for k in _CR2},
    **{f"ancova_adj_cr2_{k}": f"CR2 of the adjusted model, {k}" for k in _CR2},
    "n_clusters": "families among the cell's complete pairs",
}
_CLUSTERED = [c for c in COLUMNS if "cr2" in c or c == "n_clusters"]
_RENAME = {"n_level": "n_variant", "change_mean_level": "change_mean_variant", "change_sd_level": "change_sd_variant",
           "post_sd_level": "post_sd_variant"}
SIGNIFICANT = 0.05
SMALL_CELLS = ["n_clusters"]  # a handful of families is not published


def columns(study) -> list[str]:
    """CR2 columns only when families are known."""
    return [c for c in COLUMNS if "family" in study.columns or c not in _CLUSTERED]


def applies(study) -> bool:
    return bool(study.compare)


def _cells(study, compared: str) -> list[list[str]]:
    """The overall cell and every other one-group grouping."""
    return [[]] + [g for g in study.groupings if len(g) == 1 and g[0] != compared]


def model_groupings(study) -> list[list[str]]:
    """The cells whose counts this table publishes beyond the configured groupings."""
    out = []
    for compared in study.compare:
        out += [[*cell, compared] for cell in _cells(study, compared)]
    return out


def levels(study, compared: str, values) -> list[str]:
    """The compared group's levels: the reference first, then the configured order (or as text)."""
    configured = study.levels(compared) or sorted({str(v) for v in values})
    reference = study.reference(compared)
    return [reference, *(lv for lv in configured if lv != reference)]


def compute(data, study) -> pd.DataFrame:
    from ..stats.comparison import compare_codes, text_codes

    level = study.analysis["ci_level"]
    clusters = "family" if "family" in study.columns else None
    rows = []
    for compared, adjust in study.compare.items():
        pairs = data.pairs[data.pairs[compared].notna()].reset_index(drop=True)
        order = levels(study, compared, pairs[compared])
        # the cells' arrays once, as codes: a cell is a set of row positions
        values, names = pd.factorize(pairs[compared].astype(str))
        observed = [lv for lv in order[1:] if lv in set(names)]
        pre, post = pairs["pre"].to_numpy(dtype=float), pairs["post"].to_numpy(dtype=float)
        complete = ~(np.isnan(pre) | np.isnan(post))
        codes = pd.Index([order[0], *observed]).get_indexer(np.asarray(names))[values]
        adjust_codes = [text_codes(pairs[c]) for c in adjust]
        family = None
        if clusters:  # a child whose family is unknown is a family of its own
            family = pd.factorize(pairs["family"].astype("string").fillna("pid:" + pairs["pid"].astype(str)))[0]
        for outcome, a, b, grouping, group, at in measures.cells(pairs, _cells(study, compared)):
            at = at[complete[at]]
            if not len(at):
                continue
            # every level the study has, also one absent from this cell (n_variant 0, as R writes it)
            stats = compare_codes(pre[at], post[at], codes[at], 1 + len(observed),
                                  adjust=[c[at] for c in adjust_codes] if grouping == "all" else [],
                                  clusters=family[at] if family is not None else None, ci_level=level)
            for lv, s in zip(observed, stats):
                rows.append({"outcome": outcome, "from_wave": a, "to_wave": b, "compared": compared,
                             "grouping": grouping, "group": group, "level": lv, "reference": order[0],
                             **{_RENAME.get(k, k): v for k, v in s.items()}})
    table = pd.DataFrame(rows, columns=columns(study))
    return measures.in_group_order(table, study, ["from_wave", "to_wave", "outcome", "compared", "level"])


def counts(model, table: pd.DataFrame, study) -> None:
    """The cell's complete pairs (with a level of the compared group) and those at the two
    compared levels; any of them small
    hides the row (a level's mean change would describe a handful of people)."""
    for i, r in enumerate(table.itertuples(index=False)):
        grouping = [] if r.grouping == "all" else r.grouping.split("+")
        group = model.group_tuple(grouping, r.group)
        a, b = str(r.from_wave), str(r.to_wave)
        pairs = model.has(a, b)
        where = (f"{r.outcome}:{a}:{b}", tuple(grouping), group)
        known = np.zeros(model.n_cells, dtype=bool)  # the cell's people with a level of the compared group
        for lv in model.levels[r.compared]:
            known |= model.cells([*grouping, r.compared], (*group, lv))
        model.add(NAME, i, "n", model.outcome_form(r.outcome, pairs, known), key=True, cell=where)
        for column, lv in (("n_ref", r.reference), ("n_variant", r.level)):
            cells = model.cells([*grouping, r.compared], (*group, str(lv)))
            model.add(NAME, i, column, model.outcome_form(r.outcome, pairs, cells), key=True,
                      cell=(where[0], (*grouping, r.compared), (*group, str(lv))))


def figures(tables: dict[str, pd.DataFrame], study) -> dict:
    from .. import figures as draw

    table = tables[NAME]
    return {f"comparison_{compared}": (lambda c=compared: draw.comparison_plot(study, c, table))
            for compared in study.compare if (table["compared"] == compared).any()}


def _p(r) -> float:
    """The comparison's p: cluster-robust when families are known and it is defined."""
    cr2 = r.get("ancova_cr2_p", np.nan)
    return cr2 if pd.notna(cr2) else r["ancova_p"]


def blocks(ctx) -> list[Section]:
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    clustered = "ancova_cr2_p" in table.columns
    f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731

    def first(r) -> list[str]:
        level, reference = (group_text(study, r["compared"], r[k]) for k in ("level", "reference"))
        return [cell_text(study, r, lang), f"{level} – {reference}"]

    def body(i, r) -> list[str]:
        adj = f"{f(r['ancova_adj_diff'])} ({p_text(r['ancova_adj_p'], lang)})" if pd.notna(r["ancova_adj_diff"]) \
            else ""
        return [f"{int(r['n_variant'])} / {int(r['n_ref'])}",
                f"{f(r['change_mean_variant'])} / {f(r['change_mean_ref'])}",
                f"{f(r['ancova_diff'])} [{f(r['ancova_ci_low'])}; {f(r['ancova_ci_high'])}]",
                p_text(_p(r), lang), adj, f(r["g_wwc_ancova"])]

    rows = table_of(ctx, NAME, [t("group", lang), t("col_level", lang), t("col_n_levels", lang),
                                t("col_change_levels", lang), t("col_ancova", lang),
                                t("col_p_cr2" if clustered else "col_p_plain", lang), t("col_ancova_adj", lang),
                                t("col_g_wwc", lang)],
                    first, body, keep=lambda r: r["n_variant"] != 0)  # a level not run in the cell: nothing to compare
    if rows is None:
        return []
    intro = t("group_comparison_intro", lang, groups=", ".join(grouping_label(study, g).lower()
                                                               for g in study.compare))
    ci = int(round(study.analysis["ci_level"] * 100))
    compared = [c for c in study.compare if (table["compared"] == c).any()]
    captions = {c: t("caption_comparison_figure", lang, group=grouping_label(study, c), ci=ci) for c in compared}
    pictures = [FigureRef(f"comparison_{c}", captions[c], captions[c]) for c in compared]
    rows.caption = t("caption_comparison", lang, group=", ".join(grouping_label(study, c) for c in compared))
    return [Section("group-comparison", t("group_comparison", lang), [Paragraph(intro, note=True), rows,
                                                                       *pictures])]



def findings(ctx) -> list[str]:
    """One sentence per compared level (overall cell): for which outcomes its change
    differed from the reference's, by the comparison test (never by comparing two
    significances), the difference turned towards improvement."""
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    if table.empty:
        return []
    overall = table[(table["grouping"] == "all") & ~hidden_rows(table)]
    out = []
    for (compared, lv), part in overall.groupby(["compared", "level"], sort=False):
        ref = part["reference"].iloc[0]
        names = {"group": grouping_label(study, compared), "level": group_text(study, compared, lv),
                 "reference": group_text(study, compared, ref)}
        better, worse, none = [], [], []
        for _, r in part.iterrows():
            label = outcome_text(study, r)
            p = _p(r)
            if pd.isna(p) or p >= SIGNIFICANT:
                none.append(label)
                continue
            good = study.toward_better(r["outcome"]) * r["ancova_diff"] > 0
            (better if good else worse).append(t("comparison_item", lang, label=label,
                                                 diff=format_number(abs(r["ancova_diff"]), lang),
                                                 g=format_number(abs(r["g_wwc_ancova"]), lang), p=p_phrase(p, lang)))
        parts = []
        if better:
            parts.append(t("comparison_better", lang, items="; ".join(better)))
        if worse:
            parts.append(t("comparison_worse", lang, items="; ".join(worse)))
        if none:
            parts.append(t("comparison_none", lang, labels=", ".join(none)) if better or worse
                         else t("comparison_none_at_all", lang))
        out.append(t("finding_comparison", lang, parts="; ".join(parts), **names))
    return out
