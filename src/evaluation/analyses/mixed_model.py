"""All available cases: the change estimated from every valid score of a contrast's two
waves, people who answered only one included, with the REML random-intercept model
``score ~ wave + (1 | person)`` and Satterthwaite df (lme4 + lmerTest), as the
sensitivity analysis beside the complete-pairs result (CONTRACT section 5)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import measures
from ..i18n import format_number, p_text, t
from ..report.document import Paragraph, Section
from .rows import hidden_rows, outcome_text, overall_result, table_of

NAME = "mixed_model"
NEEDS = ("pairs",)
KEYS = ["outcome", "from_wave", "to_wave", "grouping", "group"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "grouping": "the grouping", "group": "the group",
    "n_obs": "valid scores at the two waves", "n_persons": "people with one or both",
    "n_pairs": "people with both", "n_pre_only": "with the earlier wave only", "n_post_only": "with the later only",
    "estimate": "change (later - earlier) of the model", "se": "its SE, sqrt((X'V^-1X)^-1)",
    "df": "Satterthwaite df", "t": "estimate / se", "p": "two-sided p", "ci_low": "estimate - t quantile x se",
    "ci_high": "its upper end", "var_person": "REML variance between people", "var_resid": "residual variance",
    "singular": "the fit is on the boundary (var_person 0)",
}


# every count follows from the results row of the cell (n, n_pre, n_post): a row is
# published only where those are (disclosure.follow)
FOLLOWS = ("results", {"n_obs": ["n_pre", "n_post"], "n_persons": ["n_pre", "n_post", "n"], "n_pairs": ["n"],
                       "n_pre_only": ["n_pre", "n"], "n_post_only": ["n_post", "n"]})


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    from ..stats.models import GroupTypes, reml_intercept_many

    rows, stats = [], []
    pre_all, post_all = data.pairs["pre"].to_numpy(dtype=float), data.pairs["post"].to_numpy(dtype=float)
    for outcome, a, b, grouping, group, at in measures.cells(data.pairs, study.groupings):
        pre, post = pre_all[at], post_all[at]
        has_pre, has_post = ~np.isnan(pre), ~np.isnan(post)
        both, pre_only, post_only = has_pre & has_post, has_pre & ~has_post, ~has_pre & has_post
        rows.append({"outcome": outcome, "from_wave": a, "to_wave": b, "grouping": grouping, "group": group,
                     "n_obs": int(has_pre.sum() + has_post.sum()), "n_persons": int((has_pre | has_post).sum()),
                     "n_pairs": int(both.sum()), "n_pre_only": int(pre_only.sum()),
                     "n_post_only": int(post_only.sum())})
        # a person's sum of scores, by type: both waves, the earlier only, the later only
        totals = ((pre + post)[both], pre[pre_only], post[post_only])
        y_pre, y_post = pre[has_pre], post[has_post]
        stats.append((*(len(x) for x in totals), *(x.sum() for x in totals), *((x**2).sum() for x in totals),
                      len(y_pre) + len(y_post), len(y_post), y_pre.sum() + y_post.sum(), y_post.sum(),
                      (y_pre**2).sum() + (y_post**2).sum()))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    fit = table["n_pairs"].to_numpy() >= 2  # with fewer the two variances are not identified
    if fit.any():
        st = np.array(stats, dtype=float)[fit]
        n_obs, n_post = st[:, 9], st[:, 10]
        groups = GroupTypes(m=np.array([2.0, 1.0, 1.0]), s=np.array([[2.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
                            count=st[:, 0:3], sum_T=st[:, 3:6], sum_T2=st[:, 6:9],
                            XtX=np.stack([np.stack([n_obs, n_post], 1), np.stack([n_post, n_post], 1)], 1),
                            Xty=st[:, 11:13], yty=st[:, 13], n=n_obs)
        out = reml_intercept_many(groups, column=1, level=study.analysis["ci_level"])
        for key in ("estimate", "se", "df", "t", "p", "ci_low", "ci_high"):
            table.loc[fit, key] = out[key]
        table.loc[fit, "var_person"] = out["var_group"]
        table.loc[fit, "var_resid"] = out["var_resid"]
        table["singular"] = table["singular"].astype(object)
        table.loc[fit, "singular"] = out["singular"]
    return measures.in_group_order(table, study, ["from_wave", "to_wave", "outcome"])


def blocks(ctx) -> list[Section]:
    study, lang = ctx.study, ctx.lang
    results = ctx.tables.get("results")
    f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731

    def body(i, r) -> list[str]:
        m = overall_result(results, r)
        paired = "" if m is None or pd.isna(m["diff_mean"]) else \
            f"{f(m['diff_mean'])} [{f(m['diff_ci_low'])}; {f(m['diff_ci_high'])}]"
        return [str(int(r["n_persons"])),
                " + ".join("–" if pd.isna(v) else str(int(v)) for v in (r["n_pre_only"], r["n_post_only"])),
                f"{f(r['estimate'])} [{f(r['ci_low'])}; {f(r['ci_high'])}]" if pd.notna(r["estimate"]) else "",
                p_text(r["p"], lang), paired]

    table = table_of(ctx, NAME, [t("group", lang), t("col_persons", lang), t("col_pairs_only", lang),
                                 t("col_lmm_estimate", lang), t("col_p_plain", lang), t("col_paired_diff", lang)],
                     lambda r: [t("overall", lang)], body,
                     keep=lambda r: r["grouping"] == "all")  # the overall rows: the sensitivity check
    if table is None:
        return []
    return [Section("mixed-model", t("mixed_model", lang), [Paragraph(t("mixed_model_intro", lang), note=True),
                                                             table])]



def findings(ctx) -> list[str]:
    """Whether the all-cases estimate tells the same story as the complete pairs."""
    study, lang = ctx.study, ctx.lang
    table, results = ctx.tables[NAME], ctx.tables.get("results")
    if table.empty or results is None:
        return []
    same, differ = [], []
    for _, r in table[(table["grouping"] == "all") & ~hidden_rows(table) & table["estimate"].notna()].iterrows():
        paired = overall_result(results, r)
        if paired is None or pd.isna(paired["p_t"]):
            continue
        agree = (r["p"] < 0.05) == (paired["p_t"] < 0.05) and np.sign(r["estimate"]) == np.sign(paired["diff_mean"])
        (same if agree else differ).append(outcome_text(study, r))
    if not same and not differ:
        return []
    if not differ:
        return [t("finding_lmm_same", lang)]
    return [t("finding_lmm_differ", lang, labels=", ".join(differ))]
