"""Clinical bands: the complete pairs of each contrast in each band at its two waves
(SDQ's normal / borderline / abnormal bands, WHO-5's poor wellbeing)."""
from __future__ import annotations

import pandas as pd

from .. import measures
from ..i18n import contrast_label, format_number, hidden_mark, t, wave_label
from ..instruments import band_sort_key
from ..report.document import FigureRef, Heading, Paragraph, Section, Table

NAME = "band_shares"
NEEDS = ("band_pairs",)
KEYS = ["outcome", "from_wave", "to_wave", "wave", "band"]
COLUMNS = {
    "outcome": "the outcome id", "from_wave": "the contrast's earlier wave", "to_wave": "its later wave",
    "wave": "the wave the band is taken at (from_wave or to_wave)", "band": "the band",
    "n": "complete pairs of the contrast in the band at that wave",
    "share": "n / total", "total": "complete pairs of the contrast with a band at both waves",
}
BLANK_WITH = {"n": ["share"], "total": ["share"]}


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    bands = data.band_pairs if data.band_pairs is not None else measures.band_pairs(
        data.scores, study.outcomes, study.contrasts)
    return measures.band_table(bands, list(study.outcomes), study.contrasts)


def counts(model, table: pd.DataFrame, study) -> None:
    """Each band count; the total, shared by the rows of one wave, is hidden with them."""
    for i, r in enumerate(table.itertuples(index=False)):
        key = (r.outcome, str(r.from_wave), str(r.to_wave))
        if key not in model.band_names or r.band not in model.band_names[key]:
            continue
        side = 0 if str(r.wave) == key[1] else 1
        model.add(NAME, i, "n", model.band_form(key, side, r.band), key=True)
        model.add(NAME, i, "total", model.band_form(key, None, None), group_key=(*key, str(r.wave)), shown=False)


def figures(tables: dict[str, pd.DataFrame], study) -> dict:
    from .. import figures as draw

    bands = tables[NAME]
    out = {}
    for outcome in study.outcomes:
        bars = band_columns(study, bands[bands["outcome"] == outcome])
        if bars:
            out[f"bands_{outcome}"] = lambda bars=bars: draw.band_plot(study, bars)
    return out


def band_columns(study, rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """The band rows of one outcome split by contrast and wave, each with its label
    ("Før", or "Før (Før → Opfølgning)" when there are several contrasts)."""
    out = []
    for a, b in study.contrasts:
        part = rows[(rows["from_wave"] == a) & (rows["to_wave"] == b)]
        if part.empty:
            continue
        for wave in (a, b):
            label = wave_label(study, wave)
            if len(study.contrasts) > 1:
                label = f"{label} ({contrast_label(study, (a, b))})"
            out.append((label, part[part["wave"] == wave]))
    return out


def band_rows(ctx, outcome: str) -> Table | None:
    """Share in each band at the waves of each contrast; a hidden count reads '< min_n'
    (small) or '–' (hidden to protect another)."""
    study, lang = ctx.study, ctx.lang
    bands = ctx.tables[NAME]
    rows_hidden, cells_hidden = ctx.reasons(NAME)
    hidden = {**rows_hidden, **{r: why for (r, c), why in cells_hidden.items() if c == "n"}}
    rows = bands[bands["outcome"] == outcome]
    if rows.empty:
        return None
    columns = band_columns(study, rows)  # (header, rows of one wave of one contrast)
    body = []
    for band in sorted(dict.fromkeys(rows["band"]), key=band_sort_key):
        cells = [t(f"band_{band}", lang)]
        for _, part in columns:
            r = part[part["band"] == band]
            if r.empty:
                cells.append("0")
            elif str(r["suppressed"].iloc[0]).lower() == "true" or pd.isna(r["n"].iloc[0]):
                cells.append(hidden_mark(hidden.get(r.index[0]), ctx.min_n))
            else:
                cells.append(f"{int(r['n'].iloc[0])} ({format_number(100 * float(r['share'].iloc[0]), lang, 0)} %)")
        body.append(cells)
    return Table([t("band", lang), *(name for name, _ in columns)], body)


def blocks(ctx) -> list[Section]:
    lang = ctx.lang
    out = []
    for outcome in ctx.study.outcomes:
        table = band_rows(ctx, outcome)
        if table is None:
            continue
        label = ctx.study.outcome_label(outcome)
        out += [Heading(label), table,
                FigureRef(f"bands_{outcome}", t("figure_bands", lang), f"{t('figure_bands', lang)}: {label}")]
    if not out:
        return []
    rows_hidden, cells_hidden = ctx.reasons(NAME)
    if "protect" in rows_hidden.values() or "protect" in cells_hidden.values():
        out.append(Paragraph(t("protected_footnote", lang), note=True))
    return [Section("bands", t("figure_bands", lang), [Paragraph(t("band_intro", lang), note=True), *out])]
