"""Clinical band names and the cut-off arithmetic shared by the questionnaires that have bands."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

# every band name in order from best to worst (for tables and figures)
BAND_ORDER = ("normal", "borderline", "abnormal", "close_to_average", "slightly_raised", "slightly_lowered",
              "high", "low", "very_high", "very_low", "not_poor", "poor_wellbeing")
BAND_NAMES = {
    "3band": ("normal", "borderline", "abnormal"),
    "4band": ("close_to_average", "slightly_raised", "high", "very_high"),
    "4band_prosocial": ("close_to_average", "slightly_lowered", "low", "very_low"),
}


def band_sort_key(band: str) -> int:
    """Position of a band in BAND_ORDER (unknown names last)."""
    return BAND_ORDER.index(band) if band in BAND_ORDER else len(BAND_ORDER)


def band_index(score: np.ndarray, cuts: Sequence[float], lower_is_worse: bool) -> np.ndarray:
    """Index of the band of every score (NaN stays -1)."""
    score = np.asarray(score, dtype=float)
    if lower_is_worse:
        # cuts are lower bounds of the better bands: band 0 if score >= cuts[0], ...
        idx = np.sum(score[:, None] < np.asarray(cuts)[None, :], axis=1)
    else:
        idx = np.sum(score[:, None] > np.asarray(cuts)[None, :], axis=1)
    return np.where(np.isnan(score), -1, idx)


def named(index: np.ndarray, names: Sequence[str]) -> pd.Series:
    """Band names of band indices (-1: no band), as categories (the scores table keeps
    a band per person, wave and scale: a code each, not a text).

    >>> named(np.array([1, -1, 0]), ("normal", "borderline")).tolist()
    ['borderline', nan, 'normal']
    """
    return pd.Series(pd.Categorical.from_codes(np.asarray(index), categories=pd.Index(list(names), dtype="str")))
