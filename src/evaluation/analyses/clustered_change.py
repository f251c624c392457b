"""Are siblings independent? Children of one family share a home, so the mean change of
a cell is tested with CR2 cluster-robust standard errors (families as clusters,
Satterthwaite df), beside the ICC of change within families, the design effect and the
effective n (CONTRACT section 5; only with ``columns.family``)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measures
from ..i18n import format_number, hidden_mark, p_text, t
from ..report.document import Paragraph, Section
from .rows import hidden_rows, outcome_text, overall_result, table_of

NAME = "clustered_change"
NEEDS = ("pairs",)
COST = 2  # a CR2 test per cell
KEYS = ["outcome", "from_wave", "to_wave", "grouping", "group"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "grouping": "the grouping", "group": "the group", "n": "complete pairs", "n_families": "their families",
    "mean_change": "mean change (later - earlier)", "se_iid": "SD / sqrt(n), as if independent",
    "se_cr2": "CR2 cluster-robust SE (families)", "t_cr2": "mean_change / se_cr2", "df_cr2": "Satterthwaite df",
    "p_cr2": "two-sided p", "ci_low_cr2": "CI with the CR2 SE", "ci_high_cr2": "its upper end",
    "var_family": "REML variance of change between families", "var_resid": "within families",
    "icc": "var_family / (var_family + var_resid)", "singular": "the fit is on the boundary (ICC 0)",
    "m_bar": "n / n_families", "m_tilde": "sum of squared family sizes / n",
    "deff": "1 + (m_tilde - 1) x icc (1 with one child per family)", "n_eff": "n / deff",
}


FOLLOWS = ("results", {"n": ["n"]})  # the cell's complete pairs, published where the results row is
# a handful of families is not published (nor what would give it away: n / families, sizes)
SMALL_CELLS = ["n_families"]
BLANK_WITH = {"n_families": ["m_bar", "m_tilde", "deff", "n_eff"]}


def applies(study) -> bool:
    return "family" in study.columns


def compute(data, study) -> pd.DataFrame:
    from ..stats.models import GroupTypes, intercept_cr2, reml_intercept_many

    level = study.analysis["ci_level"]
    rows, fams = [], []
    change_all = (data.pairs["post"] - data.pairs["pre"]).to_numpy(dtype=float)
    # a child whose family is unknown is a family of its own (no known siblings)
    family_all = pd.factorize(data.pairs["family"].astype("string").fillna("pid:" + data.pairs["pid"].astype(str)))[0]
    for outcome, a, b, grouping, group, at in measures.cells(data.pairs, study.groupings):
        at = at[~np.isnan(change_all[at])]
        change = change_all[at]
        _, family, sizes = np.unique(family_all[at], return_inverse=True, return_counts=True)
        totals = np.bincount(family, weights=change, minlength=len(sizes))  # T_j: each family's sum
        n, k = len(change), len(sizes)
        fams.append((sizes, totals, change))
        row = {"outcome": outcome, "from_wave": a, "to_wave": b, "grouping": grouping, "group": group, "n": n,
               "n_families": k, "mean_change": change.mean() if n else np.nan,
               "se_iid": change.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan}
        cr2 = intercept_cr2(sizes, totals, level) if k >= 2 else dict.fromkeys(
            ["se", "t", "df", "p", "ci_low", "ci_high"], np.nan)
        row.update({f"{key}_cr2": v for key, v in cr2.items()})
        row["m_bar"] = n / k if k else np.nan
        row["m_tilde"] = (sizes.astype(float) ** 2).sum() / n if k else np.nan
        rows.append(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["singular"] = table["singular"].astype(object)
    # the ICC of change within families: one REML fit per cell, all cells at once (types: family sizes)
    fit = np.array([2 <= len(sizes) < len(change) for sizes, _, change in fams], dtype=bool)
    if fit.any():
        chosen = [fams[i] for i in np.flatnonzero(fit)]
        m = np.arange(1, max(int(sizes.max()) for sizes, _, _ in chosen) + 1, dtype=float)
        count = np.array([np.bincount(sizes, minlength=len(m) + 1)[1:] for sizes, _, _ in chosen], dtype=float)
        sum_T = np.array([np.bincount(sizes, weights=totals, minlength=len(m) + 1)[1:] for sizes, totals, _ in chosen])
        sum_T2 = np.array([np.bincount(sizes, weights=totals**2, minlength=len(m) + 1)[1:]
                           for sizes, totals, _ in chosen])
        n = np.array([len(c) for _, _, c in chosen], dtype=float)
        groups = GroupTypes(m=m, s=m[:, None], count=count, sum_T=sum_T, sum_T2=sum_T2, XtX=n[:, None, None],
                            Xty=np.array([[c.sum()] for _, _, c in chosen]),
                            yty=np.array([(c**2).sum() for _, _, c in chosen]), n=n)
        out = reml_intercept_many(groups)
        total = out["var_group"] + out["var_resid"]
        ok = total > 0
        idx = np.flatnonzero(fit)[ok]
        table.loc[idx, "var_family"] = out["var_group"][ok]
        table.loc[idx, "var_resid"] = out["var_resid"][ok]
        table.loc[idx, "icc"] = (out["var_group"] / total)[ok]
        table.loc[idx, "singular"] = out["singular"][ok]
    m_tilde = table["m_tilde"].to_numpy(dtype=float)
    table["deff"] = np.where(m_tilde == 1, 1.0, 1 + (m_tilde - 1) * table["icc"].to_numpy(dtype=float))
    table["n_eff"] = np.where(table["n"] > 0, table["n"] / table["deff"], np.nan)
    return measures.in_group_order(table, study, ["from_wave", "to_wave", "outcome"])


def blocks(ctx) -> list[Section]:
    lang = ctx.lang
    f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731

    def body(i, r) -> list[str]:
        few = pd.isna(r["n_families"])  # a handful of families is not published
        return [str(int(r["n"])), hidden_mark("small", ctx.min_n) if few else str(int(r["n_families"])),
                f(r["mean_change"]), f"{f(r['se_iid'], 3)} / {f(r['se_cr2'], 3)}", p_text(r["p_cr2"], lang),
                f(r["icc"]),
                "" if few else f"{f(r['deff'])} ({t('effective_n', lang)} {format_number(r['n_eff'], lang, 0)})"]

    table = table_of(ctx, NAME, [t("col_n", lang), t("col_families", lang), t("col_mean_change", lang),
                                 t("col_se_iid_cr2", lang), t("col_p_cr2", lang), t("col_icc", lang),
                                 t("col_deff", lang)],
                     lambda r: [], body, keep=lambda r: r["grouping"] == "all")
    if table is None:
        return []
    return [Section("clustered-change", t("clustered_change", lang),
                    [Paragraph(t("clustered_intro", lang), note=True), table])]



def findings(ctx) -> list[str]:
    """Whether counting siblings as independent changes any conclusion of the overall rows."""
    study, lang = ctx.study, ctx.lang
    table, results = ctx.tables[NAME], ctx.tables.get("results")
    if table.empty:
        return []
    overall = table[(table["grouping"] == "all") & ~hidden_rows(table) & table["p_cr2"].notna()]
    if overall.empty:
        return []
    changed = []
    for _, r in overall.iterrows():
        m = overall_result(results, r)
        if m is not None and pd.notna(m["p_t"]) and (m["p_t"] < 0.05) != (r["p_cr2"] < 0.05):
            changed.append(outcome_text(study, r))
    icc = overall["icc"].dropna()
    icc_text = (f"{format_number(icc.min(), lang)}–{format_number(icc.max(), lang)}" if len(icc) > 1
                else format_number(icc.iloc[0], lang) if len(icc) else "–")
    deff = format_number(overall["deff"].max(), lang) if overall["deff"].notna().any() else "–"
    if changed:
        return [t("finding_cluster_changes", lang, icc=icc_text, deff=deff, labels=", ".join(changed))]
    return [t("finding_cluster_same", lang, icc=icc_text, deff=deff)]
