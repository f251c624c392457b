"""Participant flow: who answered which wave, per grouping and group (CONTRACT section 4).

``enrolled`` answered a wave; ``not_included`` were left out by ``include``; of the
others ``answered_<wave>`` for every wave and ``complete_<from>_<to>`` for every
contrast; ``excluded_rows`` (overall row only) are the input rows left out as invalid
or duplicate.
"""
from __future__ import annotations

import pandas as pd

from .. import measures
from ..i18n import contrast_label, group_text, grouping_label, hidden_mark, t, wave_label
from ..report.document import FigureRef, Paragraph, Section, Table

NAME = "participant_flow"
NEEDS = ("people", "flow")
KEYS = ["grouping", "group"]
COLUMNS = {
    "grouping": "the grouping ('all', or group ids joined by '+')",
    "group": "the group ('all', or values joined by '+')",
    "enrolled": "people with an answered wave",
    "not_included": "of them, left out by include",
    "answered_<wave>": "included people who answered the wave (one column per wave)",
    "complete_<from>_<to>": "included people who answered both waves of the contrast (one per contrast)",
    "excluded_rows": "input rows left out as invalid or duplicate (overall row only)",
}
SMALL_CELLS = ["excluded_rows"]  # rows, not people in a cell: in no linear relation with the rest


def columns(study) -> list[str]:
    """The table's columns for a study (one per wave and contrast)."""
    return ["grouping", "group", *measures.flow_count_columns(study.waves, study.contrasts), "excluded_rows"]


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    # invalid and duplicate rows; a wave block nobody answered is no row left out, so a
    # long and a wide export of the same answers give the same counts
    excluded = int(data.flow["status"].isin(["invalid", "duplicate"]).sum())
    table = measures.flow_table(data.people, study.groupings, excluded, study.waves, study.contrasts)
    return measures.in_group_order(table, study)  # the overall row stays first, with excluded_rows


def counts(model, table: pd.DataFrame, study) -> None:
    """Every count of the table as a form over the model's atoms; a group without a row
    is a published zero."""
    seen = set()
    for i, r in enumerate(table.to_dict("records")):
        grouping = [] if r["grouping"] == "all" else r["grouping"].split("+")
        group = model.group_tuple(grouping, r["group"])
        cells = model.cells(grouping, group)
        where = ("flow", tuple(grouping), group)
        model.add(NAME, i, "enrolled", model.enrolled(cells), key=True, cell=where)
        model.add(NAME, i, "not_included", model.excluded(cells), cell=where)
        for w in model.waves:
            model.add(NAME, i, f"answered_{w}", model.flow_form(model.has(w), cells), cell=where)
        for a, b in model.contrasts:
            model.add(NAME, i, f"complete_{a}_{b}", model.flow_form(model.has(a, b), cells), cell=where)
        seen.add((tuple(grouping), group))
    for grouping in model.table_groupings:
        for group in model.groups_of(grouping):
            if (tuple(grouping), group) not in seen:
                model.structural.append(model.enrolled(model.cells(grouping, group)))
    for a, b in model.contrasts:
        model.within_row += [(f"answered_{a}", f"complete_{a}_{b}"), (f"answered_{b}", f"complete_{a}_{b}")]


def figures(tables: dict[str, pd.DataFrame], study) -> dict:
    from .. import figures as draw

    return {"flow": lambda: draw.flow_plot(study, tables[NAME], tables["results"])}


def table(ctx) -> Table:
    """The published flow table for people: a hidden count reads '< min_n' or '–'."""
    study, lang = ctx.study, ctx.lang
    flow = ctx.tables[NAME]
    rows_hidden, cells_hidden = ctx.reasons(NAME)
    include = bool(study.spec.get("include"))
    shown = ["enrolled", *(["not_included"] if include else []), *(f"answered_{w}" for w in study.waves),
             *(f"complete_{a}_{b}" for a, b in study.contrasts)]
    header = [t("group", lang), t("flow_enrolled", lang), *([t("flow_not_included", lang)] if include else []),
              *(t("flow_answered", lang, wave=wave_label(study, w)) for w in study.waves),
              *(t("flow_complete", lang, contrast=contrast_label(study, c)) for c in study.contrasts)]
    rows = []
    for i, r in flow.iterrows():
        name = (group_text(study, r["grouping"], r["group"]) if r["grouping"] == "all"
                else f"{grouping_label(study, r['grouping'])}: {group_text(study, r['grouping'], r['group'])}")
        if str(r.get("suppressed")).lower() == "true":
            rows.append([name, hidden_mark(rows_hidden.get(i), ctx.min_n)] + [""] * (len(shown) - 1))
        else:
            rows.append([name] + [hidden_mark(cells_hidden.get((i, c)), ctx.min_n) if pd.isna(r[c])
                                  else str(int(r[c])) for c in shown])
    return Table(header, rows, caption=t("caption_flow", lang))


def blocks(ctx) -> list[Section]:
    lang = ctx.lang
    rows_hidden, cells_hidden = ctx.reasons(NAME)
    out = [FigureRef("flow", t("caption_flow_figure", lang), t("caption_flow_figure", lang)), table(ctx)]
    if "protect" in rows_hidden.values() or "protect" in cells_hidden.values():
        out.append(Paragraph(t("protected_footnote", lang), note=True))
    return [Section("flow", t("flow", lang), out)]
