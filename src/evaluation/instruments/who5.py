"""WHO-5 Well-Being Index (instruments.md section 2): 5 items coded 0-5, total = 4 x raw
sum (0-100); at most one item missing by default; <= 50 is poor wellbeing."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .bands import named

NAMES = ("who5",)
TITLE = "WHO-5"
N_ITEMS = 5
RANGE = (0, 5)
SCALES = ("total",)
# Danish wording from Psykiatrisk Center Nordsjælland
LABELS = {
    "på intet tidspunkt": 0, "lidt af tiden": 1,
    "lidt mindre end halvdelen af tiden": 2, "lidt mere end halvdelen af tiden": 3,
    "det meste af tiden": 4, "hele tiden": 5,
    "at no time": 0, "some of the time": 1, "less than half of the time": 2,
    "more than half of the time": 3, "most of the time": 4, "all of the time": 5,
}
TAKES_MIN_ANSWERED = True


def has_bands(scale: str) -> bool:
    return scale == "total"


def score(instrument, answers: pd.DataFrame, k: np.ndarray, answered: np.ndarray) -> dict:
    n = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(k, axis=1) / n
    # raw = 5 x mean of the answered items (= the sum when all 5 are answered)
    s = 4.0 * np.where(n == len(instrument.items), np.nansum(k, axis=1), 5.0 * mean)
    return {"total": (np.where(n >= instrument.min_needed, s, np.nan), n)}


def bands(instrument, scale: str, s: np.ndarray) -> pd.Series:
    # instruments.md 2.3: <= 50 = poor wellbeing (screen for depression)
    s = np.asarray(s, dtype=float)
    return named(np.where(np.isnan(s), -1, (s <= 50).astype(int)), ("not_poor", "poor_wellbeing"))


SCALE_LABELS = {"total": {"da": "Trivsel (0-100)", "en": "Wellbeing (0-100)"}}


def rule_text(instrument, lang: str = "en") -> str:
    if lang == "da":
        return f"WHO-5: 4 × sum af svarene (0-100); mindst {instrument.min_needed} af 5 items besvaret"
    return f"WHO-5: 4 × raw sum (0-100); at least {instrument.min_needed} of 5 items"
