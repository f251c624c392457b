"""Internal consistency: Cronbach's alpha and McDonald's omega per instrument scale and wave."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .base import Instrument

__all__ = ["cronbach_alpha", "mcdonald_omega", "reliability"]


def cronbach_alpha(items: np.ndarray) -> float:
    """Cronbach's alpha of complete cases (rows x items).

    Notes
    -----
    alpha = k / (k - 1) * (1 - sum(var_i) / var(sum)), variances with n - 1
    (Cronbach 1951); equals ``psych::alpha(...)$total$raw_alpha``.

    Examples
    --------
    >>> round(float(cronbach_alpha(np.array([[1, 2], [2, 3], [3, 3]]))), 4)
    0.8571
    """
    x = np.asarray(items, dtype=float)
    if x.shape[1] < 2 or x.shape[0] < 2:
        return math.nan
    return _alpha(np.cov(x, rowvar=False))


def _alpha(cov: np.ndarray) -> float:
    """Cronbach's alpha from the items' covariance matrix: the variance of the sum is the
    sum of every entry, the items' variances its diagonal."""
    k = cov.shape[0]
    total_var = cov.sum()
    if total_var <= 1e-12 * np.trace(cov):  # the sum does not vary (up to rounding)
        return math.nan
    return float(k / (k - 1) * (1 - np.trace(cov) / total_var))


def mcdonald_omega(items: np.ndarray, max_iter: int = 500, tol: float = 1e-8) -> float:
    """McDonald's omega total from a one-factor model (principal axis factoring).

    Notes
    -----
    Loadings come from iterated principal axis factoring of the item correlation
    matrix (communalities start at the squared multiple correlations);
    omega = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)) (McDonald 1999).
    """
    x = np.asarray(items, dtype=float)
    if x.shape[1] < 3 or x.shape[0] < 3:
        return math.nan
    return _omega(np.cov(x, rowvar=False), max_iter, tol)


def _omega(cov: np.ndarray, max_iter: int = 500, tol: float = 1e-8) -> float:
    """McDonald's omega from the items' covariance matrix (their correlations as
    ``np.corrcoef`` makes them from it); NaN when an item does not vary."""
    d = np.diag(cov)
    if np.any(d == 0):
        return math.nan
    sd = np.sqrt(d)
    r = cov / sd[:, None]
    r = r / sd[None, :]
    np.clip(r, -1, 1, out=r)
    try:
        h2 = 1 - 1 / np.diag(np.linalg.inv(r))
    except np.linalg.LinAlgError:
        h2 = np.full(r.shape[0], 0.5)
    loadings = np.sqrt(np.clip(h2, 0, 1))
    for _ in range(max_iter):
        reduced = r.copy()
        np.fill_diagonal(reduced, h2)
        values, vectors = np.linalg.eigh(reduced)
        loadings = vectors[:, -1] * math.sqrt(max(values[-1], 0.0))
        new_h2 = np.clip(loadings**2, 0, 1)
        if np.max(np.abs(new_h2 - h2)) < tol:
            h2 = new_h2
            break
        h2 = new_h2
    if loadings.sum() < 0:
        loadings = -loadings
    common = loadings.sum() ** 2
    return float(common / (common + np.sum(1 - np.clip(loadings**2, 0, 1))))


def reliability(responses: pd.DataFrame, instruments: Mapping[str, Instrument],
                waves: Sequence[str] = ("pre", "post"), omega: bool = True) -> pd.DataFrame:
    """Cronbach's alpha and McDonald's omega per instrument scale and wave (in ``waves`` order).

    Computed on the keyed items of each item-level scale, complete cases per wave,
    with their number ``n`` (CONTRACT section 4, ``reliability.csv``); ``omega=False``
    leaves omega (an iterative fit) empty.
    """
    rows = []
    in_wave = {wave: (responses["wave"] == wave).to_numpy(dtype=bool) for wave in waves}
    for iid, instrument in instruments.items():
        asked_col = f"{iid}__asked"
        asked = responses[asked_col].to_numpy(dtype=bool) if asked_col in responses else True
        keyed = instrument.keyed_items(responses)  # items x people: a scale's items are whole rows
        for wave in waves:
            items = keyed[:, asked & in_wave[wave]]  # once per wave, not per scale
            missing = np.isnan(items)
            for scale, idx in instrument.scale_items().items():
                idx = list(idx)
                x = items[np.ix_(idx, ~missing[idx].any(axis=0))]  # complete cases, in one copy
                n = x.shape[1]
                # one covariance matrix per scale gives both (each had its own passes over the rows)
                cov = np.cov(x) if len(idx) > 1 and n > 1 else None
                rows.append({"instrument": iid, "scale": scale, "wave": wave, "n": n,
                             "alpha": _alpha(cov) if cov is not None else math.nan,
                             "omega": _omega(cov) if cov is not None and omega and len(idx) > 2 and n > 2
                             else math.nan})
    return pd.DataFrame(rows, columns=["instrument", "scale", "wave", "n", "alpha", "omega"])
