"""Attrition: did those who left differ at the start? The earlier wave's scores of
completers (a valid score at the contrast's later wave too) against drop-outs (none),
per outcome x contrast x cell: Welch's t-test and Cohen's d (CONTRACT section 5,
shared/reference/README.md ``design/``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measures
from ..i18n import format_number, p_phrase, p_text, t
from ..report.document import Paragraph, Section
from .rows import cell_text, hidden_rows, outcome_text, table_of

NAME = "attrition"
NEEDS = ("pairs",)
KEYS = ["outcome", "from_wave", "to_wave", "grouping", "group"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "grouping": "the grouping", "group": "the group",
    "n_completers": "valid score at both waves", "n_dropouts": "valid score at the earlier wave only",
    "mean_completers": "completers' mean at the earlier wave", "sd_completers": "its SD (n - 1)",
    "mean_dropouts": "drop-outs' mean at the earlier wave", "sd_dropouts": "its SD",
    "diff": "mean_completers - mean_dropouts", "welch_t": "Welch's t", "welch_df": "its Welch-Satterthwaite df",
    "welch_p": "two-sided p", "welch_ci_low": "CI of diff", "welch_ci_high": "its upper end",
    "d": "Cohen's d (pooled SD), completers - drop-outs", "d_ci_low": "noncentral-t CI of d",
    "d_ci_high": "its upper end", "g": "d x J(n1 + n2 - 2)",
}
SIGNIFICANT = 0.05
# every count is one of the results table's, or a difference of two (n_pre - n drop-outs):
# a row is published only where those are (disclosure.follow)
FOLLOWS = ("results", {"n_completers": ["n"], "n_dropouts": ["n_pre", "n"]})


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    from ..stats.models import cohens_d, welch_test
    from ..stats.paired import dz_confidence_interval

    level = study.analysis["ci_level"]
    rows = []
    pre, post = data.pairs["pre"].to_numpy(dtype=float), data.pairs["post"].to_numpy(dtype=float)
    for outcome, a, b, grouping, group, at in measures.cells(data.pairs, study.groupings):
        x, y = pre[at], post[at]
        completers, dropouts = x[~np.isnan(x) & ~np.isnan(y)], x[~np.isnan(x) & np.isnan(y)]
        welch = welch_test(completers, dropouts, level)
        row = {"outcome": outcome, "from_wave": a, "to_wave": b, "grouping": grouping, "group": group,
               "n_completers": len(completers), "n_dropouts": len(dropouts),
               "mean_completers": completers.mean() if len(completers) else np.nan,
               "sd_completers": completers.std(ddof=1) if len(completers) > 1 else np.nan,
               "mean_dropouts": dropouts.mean() if len(dropouts) else np.nan,
               "sd_dropouts": dropouts.std(ddof=1) if len(dropouts) > 1 else np.nan}
        row["diff"] = row["mean_completers"] - row["mean_dropouts"]
        row.update({f"welch_{k}": v for k, v in welch.items() if k != "diff"})
        row.update(cohens_d(completers, dropouts, level, interval=False))
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    # the noncentral-t intervals of every cell at once: t* = d / sqrt(h), h = 1/n1 + 1/n2
    n1, n2 = table["n_completers"].to_numpy(float), table["n_dropouts"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = 1 / n1 + 1 / n2
        low, high = dz_confidence_interval((table["d"] / np.sqrt(h)).to_numpy(float), n1 + n2 - 2, 1 / h, level)
    table["d_ci_low"], table["d_ci_high"] = low, high
    return measures.in_group_order(table, study, ["from_wave", "to_wave", "outcome"])


def blocks(ctx) -> list[Section]:
    study, lang = ctx.study, ctx.lang
    f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731
    table = table_of(ctx, NAME, [t("group", lang), t("col_completers", lang), t("col_dropouts", lang),
                                 t("col_attrition_diff", lang), t("col_p_welch", lang), t("col_d_ci", lang)],
                     lambda r: [cell_text(study, r, lang)],
                     lambda i, r: [f"{int(r['n_completers'])}: {f(r['mean_completers'])}",
                                   f"{int(r['n_dropouts'])}: {f(r['mean_dropouts'])}" if r["n_dropouts"] else "0",
                                   f(r["diff"]), p_text(r["welch_p"], lang),
                                   f"{f(r['d'])} [{f(r['d_ci_low'])}; {f(r['d_ci_high'])}]" if pd.notna(r["d"])
                                   else ""])
    if table is None:
        return []
    return [Section("attrition", t("attrition", lang), [Paragraph(t("attrition_intro", lang), note=True), table])]



def findings(ctx) -> list[str]:
    """One sentence per study: did drop-outs differ at the start (overall rows only, the primary ones)?"""
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    overall = table[(table["grouping"] == "all") & ~hidden_rows(table) & (table["n_dropouts"].fillna(0) > 0)]
    if overall.empty:
        return []
    first = overall[(overall["from_wave"] == study.contrasts[0][0]) & (overall["to_wave"] == study.contrasts[0][1])]
    share = [f"{study.outcome_label(r['outcome'])}: {int(r['n_dropouts'])}/"
             f"{int(r['n_dropouts'] + r['n_completers'])}" for _, r in first.iterrows()]
    differ = overall[overall["welch_p"] < SIGNIFICANT]
    if differ.empty:
        return [t("finding_attrition_none", lang, lost="; ".join(share))]
    parts = []
    for _, r in differ.iterrows():
        label = outcome_text(study, r)
        better = (r["diff"] > 0) == (study.outcomes[r["outcome"]]["better"] == "higher")
        parts.append(t("attrition_better" if better else "attrition_worse", lang, label=label,
                       d=format_number(r["d"], lang), p=p_phrase(r["welch_p"], lang)))
    return [t("finding_attrition", lang, lost="; ".join(share), parts="; ".join(parts))]
