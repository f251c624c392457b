"""Reverse-keyed items turned round in place: the one way every family's ``keyed`` does it."""
from __future__ import annotations

import numpy as np

__all__ = ["reverse_items"]


def reverse_items(x: np.ndarray, reversed_items: np.ndarray, total: float) -> np.ndarray:
    """``x[:, reversed_items] = total - x[:, reversed_items]`` (rows x items), in place a
    column at a time: no copy of the reversed columns (at 10^6 respondents a third of a
    gigabyte for the PSS), and through a transposed view of an items x rows array too."""
    for k in np.flatnonzero(reversed_items):
        np.subtract(total, x[:, k], out=x[:, k])
    return x

