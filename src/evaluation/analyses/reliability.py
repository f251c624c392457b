"""Internal consistency of every item-level scale at each wave: Cronbach's alpha and
McDonald's omega on complete cases (CONTRACT section 4, ``reliability.csv``)."""
from __future__ import annotations

import pandas as pd

from ..i18n import format_number, hidden_mark, t, wave_label
from ..report.document import Section, Table

NAME = "reliability"
NEEDS = ("responses",)
COST = 3  # alpha and omega from every item of every questionnaire
KEYS = ["instrument", "scale", "wave"]
COLUMNS = {"instrument": "the instrument id", "scale": "the scale", "wave": "the wave",
           "n": "complete cases (every item of the scale answered)", "alpha": "Cronbach's alpha",
           "omega": "McDonald's omega (one factor)"}
SMALL_ROWS = "n"  # people at one wave: in no linear relation with the other tables
BLANK_WITH = {"n": ["alpha", "omega"]}


def applies(study) -> bool:
    return True


def compute(data, study) -> pd.DataFrame:
    from ..instruments import reliability

    return reliability(data.responses, study.instruments, study.waves)


def blocks(ctx) -> list[Section]:
    lang = ctx.lang
    def names(iid: str, scale: str) -> list[str]:  # the questionnaire's and the scale's names for readers
        instrument = ctx.study.instruments.get(iid)
        return [instrument.title(lang), instrument.scale_label(scale, lang)] if instrument else [iid, scale]

    rows = [[*names(r["instrument"], r["scale"]), wave_label(ctx.study, r["wave"]),
             hidden_mark("small", ctx.min_n) if str(r.get("suppressed")).lower() == "true" else str(int(r["n"])),
             format_number(r["alpha"], lang), format_number(r["omega"], lang)]
            for _, r in ctx.tables[NAME].iterrows()]
    header = [t("col_instrument", lang), t("col_scale", lang), t("col_wave", lang), "n", t("col_alpha", lang),
              t("col_omega", lang)]
    return [Section("reliability", t("reliability", lang), [Table(header, rows)])]
