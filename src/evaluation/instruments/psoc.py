"""Parenting Sense of Competence (instruments.md section 5): 16 items coded 1-6
(6 = strongly agree), satisfaction items reversed, sums; every item required."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .keying import reverse_items

NAMES = ("psoc",)
TITLE = "PSOC"
N_ITEMS = 16
RANGE = (1, 6)
SCALES = ("satisfaction", "efficacy", "total")
LABELS = {
    "helt uenig": 1, "uenig": 2, "lidt uenig": 3, "lidt enig": 4, "enig": 5, "helt enig": 6,
    "strongly disagree": 1, "disagree": 2, "somewhat disagree": 3,
    "somewhat agree": 4, "agree": 5, "strongly agree": 6,
}
SATISFACTION = (2, 3, 4, 5, 8, 9, 12, 14, 16)  # reversed: 7 - x (1 = disagree form)
EFFICACY = (1, 6, 7, 10, 11, 13, 15)
_ITEMS = {"satisfaction": SATISFACTION, "efficacy": EFFICACY, "total": tuple(range(1, 17))}


def keyed(instrument, x: np.ndarray) -> np.ndarray:
    rev = np.isin(np.arange(1, 17), SATISFACTION)
    return reverse_items(x, rev, 7.0)  # in place: x is the instrument's own copy (Instrument.keyed)


def scale_items(instrument) -> dict[str, tuple[int, ...]]:
    return {name: tuple(i - 1 for i in items) for name, items in _ITEMS.items()}


def score(instrument, answers: pd.DataFrame, k: np.ndarray, answered: np.ndarray) -> dict:
    scores = {}
    for name, idx in _ITEMS.items():
        cols = [i - 1 for i in idx]
        n = answered[:, cols].sum(axis=1)
        scores[name] = (np.where(n == len(cols), np.nansum(k[:, cols], axis=1), np.nan), n)
    return scores


SCALE_LABELS = {
    "satisfaction": {"da": "Tilfredshed med forældrerollen", "en": "Satisfaction with parenting"},
    "efficacy": {"da": "Tro på egne evner som forælder", "en": "Parenting efficacy"},
    "total": {"da": "Forældrekompetence i alt", "en": "Parenting sense of competence, total"},
}


def rule_text(instrument, lang: str = "en") -> str:
    if lang == "da":
        return ("PSOC (Johnston & Mash; 1 = helt uenig, 6 = helt enig): tilfredshedsitems vendt (7 − x); "
                "summer; alle items skal være besvaret")
    return ("PSOC (Johnston & Mash; 1 = strongly disagree, 6 = strongly agree): satisfaction items reversed "
            "(7 − x); sums; every item required")
