"""Implementation: how far each municipality delivered the programme's core elements
(CONTRACT section 6), from the fidelity sheet: per core element (and ``all``, the
units' scores) and municipality (and ``all``) the units, the mean delivered value, the
share fully delivered, and the units with high fidelity (score, the mean over every
configured element with a missing row counted as 0, at least ``high_fidelity``).

The exploratory comparison of change between high- and low-fidelity units is its own
table (:mod:`.fidelity_change`); both are in the chapter "Implementering".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import format_number, hidden_mark, t
from ..report.document import FigureRef, Paragraph, Section, Table

NAME = "fidelity"
SUMMARY_AFTER = True  # the summary leads with the results; implementation follows them
NEEDS = ("people", "fidelity")
KEYS = ["element", "municipality"]
COLUMNS = {
    "element": "a core element (config fidelity: elements), or all (the units' scores)",
    "municipality": "a municipality of the study (groups.municipality), or all",
    "n_units": "units (families or people) with a row for the element (all: with any row)",
    "mean_delivered": "mean of the delivered values (all: of the units' scores)",
    "share_full": "share of those units with the value 1 (all: score 1)",
    "n_high": "of those units, those with high fidelity (score >= high_fidelity)",
    "share_high": "n_high / n_units",
}


def applies(study) -> bool:
    return bool(study.fidelity)


def units(data, study) -> pd.DataFrame:
    """Per unit of the fidelity sheet whose people are included: each element's delivered
    value (NaN: no row), ``score``, ``high`` and ``municipality`` (its people's first)."""
    from ..fidelity import unit_scores

    spec = study.fidelity
    elements = list(spec["elements"])
    wide = unit_scores(data.fidelity, elements)
    people = data.people[data.people["included"].astype(bool)] if "included" in data.people else data.people
    key = "family" if study.fidelity_unit == "family" else "pid"
    municipality = people.dropna(subset=[key]).groupby(key, sort=False)["municipality"].first()
    wide = wide[wide.index.isin(municipality.index)].copy()
    wide["municipality"] = municipality.reindex(wide.index).to_numpy()
    wide["high"] = wide["score"] >= spec["high_fidelity"]
    return wide


def compute(data, study) -> pd.DataFrame:
    wide = units(data, study)
    elements = list(study.fidelity["elements"])
    municipalities = study.levels("municipality") or sorted(set(wide["municipality"].dropna().astype(str)))
    rows = []
    for element in [*elements, "all"]:
        for municipality in [*municipalities, "all"]:
            sub = wide if municipality == "all" else wide[wide["municipality"] == municipality]
            values = sub["score"] if element == "all" else sub[element].dropna()
            n = len(values)
            high = int(sub.loc[values.index, "high"].sum())
            rows.append({"element": element, "municipality": municipality, "n_units": n,
                         "mean_delivered": values.mean() if n else np.nan,
                         "share_full": float((values == 1).mean()) if n else np.nan,
                         "n_high": high, "share_high": high / n if n else np.nan})
    return pd.DataFrame(rows, columns=list(COLUMNS))


# ------------------------------------------------------------------ publication
def publish(table: pd.DataFrame, published: dict[str, pd.DataFrame], study, min_n: int
            ) -> tuple[pd.DataFrame, dict[tuple[int, str], str]]:
    """The fidelity table as published (CONTRACT section 7) and why each blank is blank.

    Nothing is computed from fewer than ``min_n`` units: a row with 1 to ``min_n - 1``
    units keeps only its keys, and so does an element's row whose units are that few
    fewer than its municipality's (the units without a row for the element).
    ``n_high`` (with its share) is blank when it or the units with low fidelity are
    that few, ``share_full`` when the units fully or not fully served are. Within an
    element, one municipality hidden alone would be the ``all`` row minus the others:
    the smallest other one is hidden too.
    """
    out = table.copy().reset_index(drop=True)
    reasons: dict[tuple[int, str], str] = {}
    n = out["n_units"].astype(float)

    def small(values) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return (values > 0) & (values < min_n)

    rows = {int(i) for i in np.flatnonzero(small(n))}
    full = np.rint(out["share_full"].astype(float).fillna(0) * n)
    # an element row against its municipality's all row: the difference is the units
    # without a row for that element (or, in n_high, the high ones among them)
    overall = {out.at[i, "municipality"]: i for i in out.index[out["element"] == "all"]}
    for i in out.index[out["element"] != "all"]:
        j = overall[out.at[i, "municipality"]]
        if small(n[j] - n[i]):
            rows.add(i)
        elif small(out.at[j, "n_high"] - out.at[i, "n_high"]):
            reasons[(i, "n_high")] = "protect"
    for i in range(len(out)):
        if i in rows:
            continue
        if small(out.at[i, "n_high"]) or small(n[i] - out.at[i, "n_high"]):
            reasons[(i, "n_high")] = "small" if small(out.at[i, "n_high"]) else "protect"
        if small(full[i]) or small(n[i] - full[i]):
            reasons[(i, "share_full")] = "protect"
    for _, part in out.groupby("element", sort=False):  # one hidden alone: the smallest other goes too
        parts = [i for i in part.index if out.at[i, "municipality"] != "all"]
        hidden = [i for i in parts if i in rows]
        shown = [i for i in parts if i not in rows and n[i] > 0]
        if len(hidden) == 1 and shown:
            rows.add(min(shown, key=lambda i: n[i]))
        hidden = [i for i in parts if i in rows or (i, "n_high") in reasons]
        shown = [i for i in parts if i not in rows and (i, "n_high") not in reasons and out.at[i, "n_high"] > 0]
        if len(hidden) == 1 and shown:
            reasons[(min(shown, key=lambda i: out.at[i, "n_high"]), "n_high")] = "protect"
    values = [c for c in out.columns if c not in KEYS]
    out = out.astype({c: object for c in values})
    for i in rows:
        why = "small" if small(n[i]) else "protect"
        for c in values:
            out.at[i, c] = None
        reasons[(i, "n_units")] = why
    for (i, c) in list(reasons):
        if c == "n_high":
            out.at[i, "n_high"] = out.at[i, "share_high"] = None
        elif c == "share_full":
            out.at[i, "share_full"] = None
    out["suppressed"] = [i in rows for i in range(len(out))]
    return out, reasons


# ------------------------------------------------------------------ report
def element_label(study, element: str, lang: str) -> str:
    if element == "all":
        return t("fidelity_score", lang)
    return study.text(study.fidelity["elements"][element], element)


def figures(tables: dict[str, pd.DataFrame], study) -> dict:
    from .. import figures as draw

    table = tables[NAME]
    return {"fidelity": lambda: draw.fidelity_plot(study, table)} if not table.empty else {}


def blocks(ctx) -> list[Section]:
    from . import fidelity_change

    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    if table.empty:
        return []
    spec = study.fidelity
    _, cells = ctx.reasons(NAME)
    f = lambda v, d=2: format_number(v, lang, d)  # noqa: E731
    municipalities = list(dict.fromkeys(table["municipality"]))
    by = {(r["element"], r["municipality"]): (i, r) for i, r in table.iterrows()}

    def cell(element, municipality) -> str:
        i, r = by[(element, municipality)]
        if pd.isna(r["n_units"]):
            return hidden_mark(cells.get((i, "n_units")), ctx.min_n)
        if not r["n_units"]:
            return ""
        return f"{f(r['mean_delivered'])} (n={int(r['n_units'])})"

    def high(municipality) -> str:
        i, r = by[("all", municipality)]
        if pd.isna(r["n_units"]) or pd.isna(r["n_high"]):
            why = cells.get((i, "n_units")) or cells.get((i, "n_high"))
            return hidden_mark(why, ctx.min_n)
        return f"{format_number(100 * r['share_high'], lang, 0)} % ({int(r['n_high'])})" if r["n_units"] else ""

    names = [t("overall", lang) if m == "all" else m for m in municipalities]
    elements = list(dict.fromkeys(table["element"]))
    delivered = Table([t("col_element", lang), *names],
                      [[element_label(study, e, lang), *(cell(e, m) for m in municipalities)] for e in elements]
                      + [[t("fidelity_high_row", lang, threshold=f(spec["high_fidelity"])),
                          *(high(m) for m in municipalities)]],
                      caption=t("caption_fidelity", lang, units=t(f"units_{study.fidelity_unit}", lang)))
    scale = ", ".join(f"{k} = {f(v, 1)}" for k, v in spec["delivered"].items())
    unit = t(f"units_{study.fidelity_unit}", lang)
    blocks = [Paragraph(t("fidelity_intro", lang, units=unit, scale=scale, threshold=f(spec["high_fidelity"])),
                        note=True), delivered,
              FigureRef("fidelity", t("caption_fidelity_figure", lang), t("caption_fidelity_figure", lang))]
    if cells:
        blocks.append(Paragraph(t("fidelity_hidden_note", lang, min_n=ctx.min_n), note=True))
    blocks += fidelity_change.report_blocks(ctx)
    return [Section("implementation", t("implementation", lang), blocks)]


def findings(ctx) -> list[str]:
    """One sentence: the mean fidelity score, the share with high fidelity, the least delivered element."""
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    if table.empty:
        return []
    overall = table[(table["element"] == "all") & (table["municipality"] == "all")].iloc[0]
    if pd.isna(overall["n_units"]) or not overall["n_units"]:
        return []
    spec = study.fidelity
    parts = [t("finding_fidelity", lang, score=format_number(overall["mean_delivered"], lang),
               n=int(overall["n_units"]), units=t(f"units_{study.fidelity_unit}", lang),
               share="–" if pd.isna(overall["share_high"]) else format_number(100 * overall["share_high"], lang, 0),
               threshold=format_number(spec["high_fidelity"], lang))]
    by_element = table[(table["municipality"] == "all") & (table["element"] != "all")].dropna(subset=["mean_delivered"])
    if len(by_element):
        low = by_element.loc[by_element["mean_delivered"].astype(float).idxmin()]
        parts.append(t("finding_fidelity_lowest", lang, element=element_label(study, low["element"], lang),
                       score=format_number(low["mean_delivered"], lang)))
    return ["; ".join(parts) + "."]


def exploratory(ctx) -> list[str]:
    """Whether units with high fidelity changed differently (an association, not an effect)."""
    from . import fidelity_change

    return fidelity_change.findings_of(ctx)
