"""Costs: what the programme cost per municipality and category (Socialstyrelsen's
four: forberedelse, uddannelse, drift, materiel), per enrolled and per completing unit,
and per reliably improved participant (CONTRACT section 6).

Units are families when ``columns.family`` is set, else people. Enrolled: a unit with
an answer at the first wave (after ``include``); completed: a unit with a complete pair
on any outcome of the first contrast.

Published under CONTRACT section 7 (:func:`publish`): a cost per unit reveals the
number of units, so a count and the costs per unit computed from it are shown only
where that number is safe to show.
"""
from __future__ import annotations

import pandas as pd

from ..costs import CATEGORIES, cost_table
from ..i18n import format_number, hidden_mark, t
from ..measures import is_in
from ..report.document import FigureRef, Paragraph, Section, Table

NAME = "costs"
SUMMARY_AFTER = True  # after the results and the implementation
NEEDS = ("pairs", "people", "cost_items", "responses")
KEYS = ["municipality", "category"]
COLUMNS = {
    "municipality": "a municipality of the study (groups.municipality), or all",
    "category": "forberedelse, uddannelse, drift, materiel, or total",
    "cost": "the cost in kroner at the price year: sum of hours x rate + amount of the sheet's rows",
    "n_enrolled": "total rows: units (families, else people) with an answer at the first wave",
    "n_completed": "total rows: units with a complete pair on any outcome of the first contrast",
    "cost_per_enrolled": "total rows: cost / n_enrolled",
    "cost_per_completed": "total rows: cost / n_completed",
}
IMPROVED = "cost_per_reliably_improved_{}"  # one column per outcome with reliable change
PUBLISHED = "tables/costs.csv"


def applies(study) -> bool:
    return bool(study.costs)


def _improved_outcomes(study) -> list[str]:
    """The outcomes with reliable change (a reliability), in config order."""
    return [o for o, spec in study.outcomes.items() if spec.get("reliability") is not None]


def columns(study) -> list[str]:
    return [*COLUMNS, *(IMPROVED.format(o) for o in _improved_outcomes(study))]


def _municipality_counts(units: pd.DataFrame) -> dict[str, int]:
    """Distinct units per municipality and in all (``unit``, ``municipality`` columns)."""
    counts = units.dropna(subset=["municipality"]).groupby("municipality")["unit"].nunique()
    return {**{str(k): int(v) for k, v in counts.items()}, "all": int(units["unit"].nunique())}


def units(data, study) -> tuple[dict[str, int], dict[str, int]]:
    """Enrolled and completed units per municipality (and ``all``)."""
    people = data.people[data.people["included"].astype(bool)] if "included" in data.people else data.people
    first = study.waves[0]
    key = "family" if study.unit == "family" else "pid"
    enrolled = people[people[f"answered_{first}"].astype(bool)]
    enrolled = pd.DataFrame({"unit": enrolled[key].fillna("pid:" + enrolled["pid"].astype(str)),
                             "municipality": enrolled["municipality"]})
    a, b = study.contrasts[0]
    pairs = data.pairs[(data.pairs["from_wave"] == a) & (data.pairs["to_wave"] == b)
                       & data.pairs["pre"].notna() & data.pairs["post"].notna()]
    done = people[is_in(people["pid"], pairs["pid"].unique())]
    completed = pd.DataFrame({"unit": done[key].fillna("pid:" + done["pid"].astype(str)),
                              "municipality": done["municipality"]})
    return _municipality_counts(enrolled), _municipality_counts(completed)


def improved(data, study) -> dict[str, dict[str, int]]:
    """Per outcome with reliable change: the reliably improved people (recovered
    included) of the first contrast, per municipality and in all."""
    from .reliable_change import classified

    c = classified(data, study)
    a, b = study.contrasts[0]
    up = c.pairs[(c.klass == 0) | (c.klass == 1)]  # recovered, improved
    up = up[(up["from_wave"] == a) & (up["to_wave"] == b)]
    out = {}
    for outcome in _improved_outcomes(study):
        rows = up[up["outcome"] == outcome]
        counts = rows.dropna(subset=["municipality"]).groupby("municipality")["pid"].nunique()
        out[outcome] = {**{str(k): int(v) for k, v in counts.items()}, "all": int(rows["pid"].nunique())}
    return out


def compute(data, study) -> pd.DataFrame:
    enrolled, completed = units(data, study)
    observed = sorted(set(data.people["municipality"].dropna().astype(str)))
    municipalities = study.levels("municipality") or observed
    table = cost_table(data.cost_items, municipalities, enrolled, completed, improved(data, study))
    return table[columns(study)]


# ------------------------------------------------------------------ publication
def publish(table: pd.DataFrame, published: dict[str, pd.DataFrame], study, min_n: int
            ) -> tuple[pd.DataFrame, dict[tuple[int, str], str]]:
    """The cost table as published, and the reason of every blank count or cost per unit.

    Costs themselves count no one and are always shown. A count of units (and the costs
    per unit divided by it) is shown only where it tells nothing the rest of the
    publication does not:

    * people: ``n_enrolled`` and ``n_completed`` only where the participant flow
      publishes the same number for the same municipality (``answered_<first wave>``,
      ``complete_<first contrast>``); the flow table is protected with every other
      count of people;
    * families: a count from 1 to ``min_n - 1`` is hidden, so is a pair whose difference
      (families that left) is that small, and when one municipality's count is hidden
      the smallest other one goes too (the ``all`` row minus the others would give it);
    * the cost per reliably improved participant only where the reliable-change table
      publishes that number of improved people (first contrast, same municipality).
    """
    out = table.copy().reset_index(drop=True)
    reasons: dict[tuple[int, str], str] = {}
    total = out.index[out["category"] == "total"]
    flow = published.get("participant_flow")
    a, b = study.contrasts[0]
    sources = {"n_enrolled": f"answered_{study.waves[0]}", "n_completed": f"complete_{a}_{b}"}
    for column, per in (("n_enrolled", "cost_per_enrolled"), ("n_completed", "cost_per_completed")):
        for i in total:
            value = out.at[i, column]
            if study.unit == "person":
                shown = _flow_value(flow, out.at[i, "municipality"], sources[column])
                why = None if shown is not None and shown == value else "protect"
            else:
                why = "small" if 0 < value < min_n else None
            if why:
                reasons[(i, column)] = why
    if study.unit == "family":
        for i in total:  # families that left: a small difference hides both
            diff = out.at[i, "n_enrolled"] - out.at[i, "n_completed"]
            if 0 < diff < min_n:
                for column in ("n_enrolled", "n_completed"):
                    reasons.setdefault((i, column), "protect")
        for column in ("n_enrolled", "n_completed"):  # one hidden municipality is the all row minus the rest
            parts = [i for i in total if out.at[i, "municipality"] != "all"]
            hidden = [i for i in parts if (i, column) in reasons]
            shown = [i for i in parts if (i, column) not in reasons and out.at[i, column] > 0]
            if len(hidden) == 1 and shown:
                reasons[(min(shown, key=lambda i: out.at[i, column]), column)] = "protect"
    per_unit = {"n_enrolled": ["cost_per_enrolled"], "n_completed": ["cost_per_completed"]}
    for (i, column), why in list(reasons.items()):
        for c in per_unit[column]:
            reasons[(i, c)] = why
    changes = published.get("reliable_change")
    for outcome in _improved_outcomes(study):
        column = IMPROVED.format(outcome)
        for i in total if column in out else ():
            if pd.isna(out.at[i, column]):
                continue
            if _improved_shown(changes, outcome, a, b, out.at[i, "municipality"]) is None:
                reasons[(i, column)] = "protect"
    out = out.astype({c: object for c in {c for _, c in reasons}})
    for (i, column) in reasons:
        out.at[i, column] = None
    out["suppressed"] = False
    return out, reasons


def _row(table: pd.DataFrame | None, municipality: str, **keys) -> pd.Series | None:
    """The published row of the municipality's cell (grouping ``municipality`` or all)."""
    if table is None or table.empty:
        return None
    grouping, group = ("all", "all") if municipality == "all" else ("municipality", municipality)
    mask = (table["grouping"].astype(str) == grouping) & (table["group"].astype(str) == str(group))
    for k, v in keys.items():
        mask &= table[k].astype(str) == str(v)
    rows = table[mask]
    if len(rows) != 1 or str(rows["suppressed"].iloc[0]).lower() == "true":
        return None
    return rows.iloc[0]


def _flow_value(flow: pd.DataFrame | None, municipality: str, column: str) -> int | None:
    row = _row(flow, municipality)
    if row is None or column not in row or pd.isna(row[column]):
        return None
    return int(float(row[column]))


def _improved_shown(changes: pd.DataFrame | None, outcome: str, a: str, b: str, municipality: str) -> int | None:
    row = _row(changes, municipality, outcome=outcome, from_wave=a, to_wave=b)
    if row is None or pd.isna(row["n_improved"]):
        return None
    return int(float(row["n_improved"]))


# ------------------------------------------------------------------ report
def _kroner(value, lang: str) -> str:
    return "" if pd.isna(value) else format_number(float(value), lang, 0)


def figures(tables: dict[str, pd.DataFrame], study) -> dict:
    from .. import figures as draw

    table = tables[NAME]
    if table.empty:
        return {}
    return {"costs": lambda: draw.cost_plot(study, table)}


def blocks(ctx) -> list[Section]:
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    if table.empty:
        return []
    year = study.costs["price_year"]
    _, cells = ctx.reasons(NAME)
    unit = t(f"unit_{study.unit}", lang)
    outcomes = _improved_outcomes(study)

    def shown(i, column, digits=0) -> str:
        value = table.at[i, column]
        if pd.isna(value):
            return hidden_mark(cells.get((i, column)), ctx.min_n) if (i, column) in cells else ""
        return format_number(float(value), lang, digits)

    def name(m: str) -> str:
        return t("overall", lang) if m == "all" else m

    by = table.set_index(["municipality", "category"])
    municipalities = list(dict.fromkeys(table["municipality"]))
    first = t("col_municipality_amounts", lang, year=year)  # the price year in each table's heading
    header = [first, *(t(f"cost_{c}", lang) for c in CATEGORIES), t("cost_total", lang)]
    rows = [[name(m), *(_kroner(by.at[(m, c), "cost"], lang) for c in (*CATEGORIES, "total"))] for m in municipalities]
    amounts = Table(header, rows, caption=t("caption_costs", lang, year=year))
    units = t(f"units_{study.unit}", lang)
    per_header = [first, t("col_enrolled_units", lang, units=units), t("col_cost_per_enrolled", lang),
                  t("col_completed_units", lang, units=units), t("col_cost_per_completed", lang),
                  *(t("col_cost_per_improved", lang, outcome=study.outcome_label(o)) for o in outcomes)]
    per_rows = []
    for i in table.index[table["category"] == "total"]:
        per_rows.append([name(table.at[i, "municipality"]), shown(i, "n_enrolled"), shown(i, "cost_per_enrolled"),
                         shown(i, "n_completed"), shown(i, "cost_per_completed"),
                         *(shown(i, IMPROVED.format(o)) for o in outcomes)])
    per_unit = Table(per_header, per_rows, caption=t("caption_costs_per", lang, unit=unit, year=year))
    blocks = [Paragraph(t("costs_intro", lang, year=year, unit=unit), note=True), amounts,
              FigureRef("costs", t("costs_figure", lang, year=year), t("costs_figure", lang, year=year)),
              per_unit]
    if cells:
        blocks.append(Paragraph(t("costs_hidden_note", lang, min_n=ctx.min_n), note=True))
    return [Section("costs", t("costs_chapter", lang, year=year), blocks)]


def findings(ctx) -> list[str]:
    study, lang = ctx.study, ctx.lang
    table = ctx.tables[NAME]
    if table.empty:
        return []
    overall = table[(table["municipality"] == "all") & (table["category"] == "total")].iloc[0]
    unit = t(f"unit_{study.unit}", lang)
    parts = [t("finding_costs_total", lang, cost=_kroner(overall["cost"], lang), year=study.costs["price_year"])]
    if pd.notna(overall["cost_per_enrolled"]):
        parts.append(t("finding_costs_per", lang, cost=_kroner(overall["cost_per_enrolled"], lang),
                       what=t("per_enrolled", lang, unit=unit)))
    if pd.notna(overall["cost_per_completed"]):
        parts.append(t("finding_costs_per", lang, cost=_kroner(overall["cost_per_completed"], lang),
                       what=t("per_completed", lang, unit=unit)))
    for o in _improved_outcomes(study):
        value = overall.get(IMPROVED.format(o))
        if pd.notna(value):
            parts.append(t("finding_costs_per", lang, cost=_kroner(value, lang),
                           what=t("per_improved", lang, outcome=study.outcome_label(o))))
    return ["; ".join(parts) + "."]

