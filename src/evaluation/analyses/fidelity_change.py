"""Implementation and change, exploratory (CONTRACT section 6): per outcome × contrast,
the units with a complete pair split by high fidelity (:mod:`.fidelity`), their mean
change and Welch's test of the difference (high − low). With units = families, a
family's change is the mean over its people.

Units were not assigned to high or low fidelity: a difference is an association, not
an effect of fidelity, and the report says so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import contrast_label, format_number, hidden_mark, p_phrase, p_text, t
from ..report.document import Paragraph, Table

NAME = "fidelity_change"
NEEDS = ("pairs", "people", "fidelity")
KEYS = ["outcome", "from_wave", "to_wave"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "n_high": "units with high fidelity and a complete pair", "n_low": "units with low fidelity and a complete pair",
    "change_mean_high": "their mean change (later - earlier)", "change_mean_low": "the same for low fidelity",
    "welch_diff": "change_mean_high - change_mean_low", "welch_t": "Welch's t", "welch_df": "its df",
    "welch_p": "two-sided p", "welch_ci_low": "CI of welch_diff", "welch_ci_high": "its upper end",
}


def applies(study) -> bool:
    return bool(study.fidelity)


def compute(data, study) -> pd.DataFrame:
    from ..stats.models import welch_test
    from .fidelity import units

    level = study.analysis["ci_level"]
    high = units(data, study)["high"]
    key = "family" if study.fidelity_unit == "family" else "pid"
    pairs = data.pairs[data.pairs["pre"].notna() & data.pairs["post"].notna()]
    rows = []
    for (outcome, a, b), part in pairs.groupby(["outcome", "from_wave", "to_wave"], sort=False):
        change = (part["post"] - part["pre"]).groupby(part[key].to_numpy()).mean()  # per unit
        change = change[change.index.isin(high.index)]
        is_high = high.reindex(change.index).to_numpy(dtype=bool)
        x, y = change.to_numpy()[is_high], change.to_numpy()[~is_high]
        welch = welch_test(x, y, level)
        rows.append({"outcome": outcome, "from_wave": a, "to_wave": b, "n_high": len(x), "n_low": len(y),
                     "change_mean_high": x.mean() if len(x) else np.nan,
                     "change_mean_low": y.mean() if len(y) else np.nan,
                     **{f"welch_{k}": v for k, v in welch.items()}})
    order = {o: i for i, o in enumerate(study.outcomes)}
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    return table.sort_values(["from_wave", "to_wave", "outcome"], key=lambda s: s.map(
        order if s.name == "outcome" else {w: i for i, w in enumerate(study.waves)}), kind="stable"
    ).reset_index(drop=True)


def _published_units(published: dict[str, pd.DataFrame], study, outcome: str, a: str, b: str) -> int | None:
    """The overall number of units with a complete pair as another table publishes it:
    people (the results table's ``n``) or families (the clustered table's
    ``n_families``); None when it is not published."""
    name, column = ("results", "n") if study.fidelity_unit == "person" else ("clustered_change", "n_families")
    table = published.get(name)
    if table is None or table.empty or column not in table:
        return None
    row = table[(table["outcome"] == outcome) & (table["from_wave"].astype(str) == a)
                & (table["to_wave"].astype(str) == b) & (table["grouping"] == "all")]
    if len(row) != 1 or pd.isna(row[column].iloc[0]):
        return None
    return int(float(row[column].iloc[0]))


def publish(table: pd.DataFrame, published: dict[str, pd.DataFrame], study, min_n: int
            ) -> tuple[pd.DataFrame, dict[tuple[int, str], str]]:
    """A row is published only when both groups have 0 or at least ``min_n`` units
    (nothing is computed from fewer), and when the units they leave out (complete
    pairs without a fidelity row: the overall count of another table minus both) are
    0 or at least ``min_n``; otherwise it keeps its keys."""
    out = table.copy().reset_index(drop=True)
    values = [c for c in out.columns if c not in KEYS]
    out = out.astype({c: object for c in values})
    reasons = {}
    hidden = []
    for i in range(len(out)):
        counts = [float(out.at[i, "n_high"]), float(out.at[i, "n_low"])]
        total = _published_units(published, study, out.at[i, "outcome"], str(out.at[i, "from_wave"]),
                                 str(out.at[i, "to_wave"]))
        why = None
        if any(0 < c < min_n for c in counts):
            why = "small"
        elif total is None or 0 < total - sum(counts) < min_n:
            why = "protect"
        if why:
            hidden.append(i)
            reasons[(i, "n_high")] = why
            for c in values:
                out.at[i, c] = None
    out["suppressed"] = [i in hidden for i in range(len(out))]
    return out, reasons


# ------------------------------------------------------------------ report (in the chapter of .fidelity)
def blocks(ctx) -> list:
    return []  # the chapter "Implementering" of .fidelity shows this table


def report_blocks(ctx) -> list:
    """The exploratory table, labelled as such."""
    study, lang = ctx.study, ctx.lang
    table = ctx.tables.get(NAME)
    if table is None or table.empty:
        return []
    _, cells = ctx.reasons(NAME)
    f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731
    several = len(study.contrasts) > 1
    rows = []
    for i, r in table.iterrows():
        lead = [study.outcome_label(r["outcome"]),
                *([contrast_label(study, (r["from_wave"], r["to_wave"]))] if several else [])]
        if str(r["suppressed"]).lower() == "true":
            mark = hidden_mark(cells.get((i, "n_high"), "small"), ctx.min_n)
            rows.append([*lead, mark, "", "", ""])
            continue
        diff = "" if pd.isna(r["welch_diff"]) else \
            f"{f(r['welch_diff'])} [{f(r['welch_ci_low'])}; {f(r['welch_ci_high'])}]"
        rows.append([*lead, f"{int(r['n_high'])} / {int(r['n_low'])}",
                     f"{f(r['change_mean_high'])} / {f(r['change_mean_low'])}", diff, p_text(r["welch_p"], lang)])
    header = [t("col_outcome", lang), *([t("col_contrast", lang)] if several else []),
              t("col_n_high_low", lang), t("col_change_high_low", lang), t("col_diff_high_low", lang),
              t("col_p_welch", lang)]
    caption = t("caption_fidelity_change", lang, units=t(f"units_{study.fidelity_unit}", lang))
    return [Paragraph(t("fidelity_change_intro", lang), note=True), Table(header, rows, caption=caption)]


def findings_of(ctx) -> list[str]:
    """One exploratory sentence: which outcomes changed differently with high fidelity
    (first contrast), by the comparison test."""
    study, lang = ctx.study, ctx.lang
    table = ctx.tables.get(NAME)
    if table is None or table.empty:
        return []
    a, b = study.contrasts[0]
    first = table[(table["from_wave"] == a) & (table["to_wave"] == b)
                  & ~table["suppressed"].astype(str).str.lower().eq("true")]
    first = first[first["welch_p"].notna()]
    if first.empty:
        return []
    items = [t("fidelity_change_item", lang, label=study.outcome_label(r["outcome"]),
               diff=format_number(r["welch_diff"], lang), p=p_phrase(r["welch_p"], lang))
             for _, r in first.iterrows()]
    return [t("finding_fidelity_change", lang, items="; ".join(items))]
