"""Change compared between the levels of a group (the programme variants), one cell.

For the complete pairs of one cell, every non-reference level is compared with the
configured reference level (never the first in sort order):

* ANCOVA ``lm(post ~ pre + level)`` (the level's coefficient: the difference in the
  later wave adjusted for the earlier one) and the omnibus F of the level term;
* the same with the ``adjust`` groups entered before the level
  (``lm(post ~ pre + adjust + level)``): a level aliased with them is empty, never a
  silently split estimate;
* Welch's t-test of the difference in mean change (level − reference);
* the WWC Hedges' g of the adjusted difference and g_DD of the difference in mean
  change, both over the pooled SD of the unadjusted later-wave scores,
  ω = 1 − 3 / (4N − 9);
* CR2 cluster-robust inference for both ANCOVAs when clusters are given and each of
  the two compared levels spans at least two clusters.

References
----------
* What Works Clearinghouse (2022). Procedures and Standards Handbook, version 5.0,
  appendix E (g of an adjusted difference, ω).
* Pustejovsky, J. E. (2016). Converting from d to r to z when the design uses extreme
  groups (and d_DD for differences in change); Bell & McCaffrey (2002) for CR2.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .models import ClusterIndex, FactorDesign, ancova_nested, coef_test, cr2_test, f_test, welch_test

__all__ = ["COMPARISON_STATISTICS", "compare_levels", "compare_codes"]

_COEF = ("diff", "se", "t", "df", "p", "ci_low", "ci_high")
_F = ("F", "df1", "df2", "p")
_CR2 = ("se", "t", "df", "p", "ci_low", "ci_high")
COMPARISON_STATISTICS = [
    "n", "n_ref", "n_level", "change_mean_ref", "change_mean_level", "change_sd_ref", "change_sd_level",
    "post_sd_ref", "post_sd_level",
    *(f"ancova_{k}" for k in _COEF), *(f"ancova_f_{k}" for k in _F),
    *(f"ancova_adj_{k}" for k in _COEF), *(f"ancova_adj_f_{k}" for k in _F),
    "welch_diff", "welch_t", "welch_df", "welch_p", "welch_ci_low", "welch_ci_high",
    "post_sd_pooled", "omega", "g_wwc_ancova", "g_wwc_ancova_adj", "g_dd",
    *(f"ancova_cr2_{k}" for k in _CR2), *(f"ancova_adj_cr2_{k}" for k in _CR2), "n_clusters",
]


def compare_levels(pairs: pd.DataFrame, column: str, reference: str, levels: Sequence[str],
                   adjust: Sequence[str] = (), clusters: str | None = None,
                   ci_level: float = 0.95) -> list[dict]:
    """One dict per level of ``levels`` other than ``reference`` (in that order), with
    :data:`COMPARISON_STATISTICS` (``n`` = complete pairs of the cell).

    ``pairs`` holds the cell's complete pairs: ``pre, post, <column>``, the ``adjust``
    columns and ``clusters``. Undefined statistics are NaN; the adjusted model is fitted
    only when some adjust column varies in the cell, and CR2 only with ``clusters``
    (NaN unless both compared levels span two or more clusters).

    Examples
    --------
    >>> cp = pd.DataFrame({"pre": [10., 12, 11, 13, 9, 12], "post": [9., 12, 10, 9, 6, 10],
    ...                    "variant": ["ind", "ind", "ind", "grp", "grp", "grp"]})
    >>> row = compare_levels(cp, "variant", "ind", ["ind", "grp"])[0]
    >>> round(float(row["welch_diff"]), 4), row["n_ref"], row["n_level"]
    (-2.3333, 3, 3)
    """
    order = [reference, *(lv for lv in levels if lv != reference)]
    level = pd.Index(order).get_indexer(pairs[column].astype(str).to_numpy())
    if (level < 0).any():
        raise ValueError(f"{column}: a value that is not among the levels {order}")
    return compare_codes(pairs["pre"].to_numpy(dtype=float), pairs["post"].to_numpy(dtype=float), level,
                         len(order), [text_codes(pairs[c]) for c in adjust],
                         text_codes(pairs[clusters]) if clusters else None, ci_level)


def text_codes(values: pd.Series) -> np.ndarray:
    """Codes 0, 1, ... of the values in the order of their text (an adjust group's
    first level as text is its reference level, as R's factor() makes it)."""
    return pd.factorize(values.astype(str), sort=True)[0]


def compare_codes(pre: np.ndarray, post: np.ndarray, level: np.ndarray, n_levels: int,
                  adjust: Sequence[np.ndarray] = (), clusters: np.ndarray | None = None,
                  ci_level: float = 0.95) -> list[dict]:
    """:func:`compare_levels` of arrays: ``level`` codes 0 (the reference) to
    ``n_levels - 1``, one row per level 1, 2, ... (also one absent from the cell);
    ``adjust`` codes per adjust group (in the order of its levels as text) and
    ``clusters`` codes. Each ANCOVA is fitted from two rows per combination of levels
    (:func:`.models.ancova_nested`), so a cell of 100,000 pairs costs little more than
    one of 100."""
    change = post - pre
    count = np.bincount(level, minlength=n_levels)
    present = [0] + [lv for lv in range(1, n_levels) if count[lv]]
    fits = {}
    if count[0] and len(present) >= 2:
        position = np.full(n_levels, -1)
        position[present] = np.arange(len(present))
        compared = position[level]  # the levels of the cell, renumbered: no empty dummy column
        fits["ancova"] = (*ancova_nested(post, FactorDesign(pre, [compared], [len(present)]), 0), 2)
        factors = [pd.factorize(codes, sort=True)[0] for codes in adjust]
        factors = [codes for codes in factors if codes.max() > 0]  # an adjust group that varies in the cell
        if factors:
            design = FactorDesign(pre, [*factors, compared], [*(int(c.max()) + 1 for c in factors), len(present)])
            fits["ancova_adj"] = (*ancova_nested(post, design, len(factors)), design.width(len(factors)))
    index = None
    if clusters is not None:
        clusters = pd.factorize(clusters)[0]
        index = ClusterIndex(clusters)
    n_clusters = index.J if index is not None else np.nan
    rows = []
    a = level == 0
    na = int(count[0])
    for lv in range(1, n_levels):
        b = level == lv
        nb = int(count[lv])
        row: dict = {"n": len(pre), "n_ref": na, "n_level": nb,
                     "change_mean_ref": change[a].mean() if na else np.nan,
                     "change_mean_level": change[b].mean() if nb else np.nan,
                     "change_sd_ref": change[a].std(ddof=1) if na > 1 else np.nan,
                     "change_sd_level": change[b].std(ddof=1) if nb > 1 else np.nan,
                     "post_sd_ref": post[a].std(ddof=1) if na > 1 else np.nan,
                     "post_sd_level": post[b].std(ddof=1) if nb > 1 else np.nan}
        both_clustered = (clusters is not None and np.count_nonzero(np.bincount(clusters[a])) >= 2
                          and np.count_nonzero(np.bincount(clusters[b])) >= 2)
        for name in ("ancova", "ancova_adj"):
            fit = fits.get(name)
            coef = dict.fromkeys(_COEF, np.nan)
            ftest = dict.fromkeys(_F, np.nan)
            cr2 = dict.fromkeys(_CR2, np.nan)
            if fit is not None:
                reduced, full, offset = fit
                ftest = f_test(reduced, full)
                if nb:
                    col = offset + present.index(lv) - 1
                    coef = coef_test(full, col, ci_level)
                    if both_clustered:
                        cr2 = cr2_test(full, index, col, ci_level)
            row.update({f"{name}_{k}": v for k, v in coef.items()})
            row.update({f"{name}_f_{k}": v for k, v in ftest.items()})
            row.update({f"{name}_cr2_{k}": v for k, v in cr2.items()})
        welch = welch_test(change[b], change[a], ci_level)
        row.update({f"welch_{k}": v for k, v in welch.items()})
        N = na + nb
        if na and nb and N > 2:
            ss = ((post[a] - post[a].mean()) ** 2).sum() + ((post[b] - post[b].mean()) ** 2).sum()
            s_post = np.sqrt(ss / (N - 2))
            omega = 1 - 3 / (4 * N - 9)
        else:
            s_post = omega = np.nan
        row["post_sd_pooled"], row["omega"] = s_post, omega
        scale = omega / s_post if s_post and s_post > 0 else np.nan
        row["g_wwc_ancova"] = scale * row["ancova_diff"]
        row["g_wwc_ancova_adj"] = scale * row["ancova_adj_diff"]
        row["g_dd"] = scale * (row["change_mean_level"] - row["change_mean_ref"])
        row["n_clusters"] = n_clusters
        rows.append({k: row[k] for k in COMPARISON_STATISTICS})
    return rows
