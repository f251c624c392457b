"""Parental Stress Scale (instruments.md section 4): 18 items coded 1-5, 8 reversed,
sum 18-90, prorated from the answered items when ``min_answered`` allows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .keying import reverse_items

NAMES = ("pss",)
TITLE = "PSS"
N_ITEMS = 18
RANGE = (1, 5)
SCALES = ("total",)
# Danish wording from VIVE's version
LABELS = {
    "meget uenig": 1, "uenig": 2, "hverken enig eller uenig": 3, "enig": 4, "meget enig": 5,
    "strongly disagree": 1, "disagree": 2, "undecided": 3,
    "neither agree nor disagree": 3, "agree": 4, "strongly agree": 5,
}
REVERSED = (1, 2, 5, 6, 7, 8, 17, 18)  # instruments.md 4.1: 6 - x
TAKES_MIN_ANSWERED = True


def keyed(instrument, x: np.ndarray) -> np.ndarray:
    rev = np.isin(np.arange(1, 19), REVERSED)
    return reverse_items(x, rev, 6.0)  # in place: x is the instrument's own copy (Instrument.keyed)


def score(instrument, answers: pd.DataFrame, k: np.ndarray, answered: np.ndarray) -> dict:
    n = answered.sum(axis=1)
    n_items = len(instrument.items)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(k, axis=1) / n
    s = np.where(n == n_items, np.nansum(k, axis=1), mean * n_items)
    return {"total": (np.where(n >= instrument.min_needed, s, np.nan), n)}


SCALE_LABELS = {"total": {"da": "Forældrestress (18-90)", "en": "Parental stress (18-90)"}}


def rule_text(instrument, lang: str = "en") -> str:
    if lang == "da":
        return ("PSS: item 1, 2, 5, 6, 7, 8, 17 og 18 vendt (6 − x); sum 18-90; "
                f"mindst {instrument.min_needed} af 18 items besvaret")
    return ("PSS: items 1, 2, 5, 6, 7, 8, 17, 18 reversed (6 − x); sum 18-90; "
            f"at least {instrument.min_needed} of 18 items")
