"""Reliable change and clinical significance per person (Jacobson & Truax 1991).

With ``sd_pre`` the SD of the earlier wave over all complete pairs of the outcome
(one reference sample, not per cell) and ``r`` the outcome's reliability,
``s_diff = sd_pre · √(2(1 − r))`` and ``RCI = (post − pre) / s_diff``. A person
improved when the RCI goes beyond ``z`` in the better direction, deteriorated when it
goes beyond ``z`` the other way, and is otherwise unchanged; recovered = improved,
dysfunctional at the earlier wave and functional at the later one. Functional is
``score <= cutoff`` when lower is better, ``score > cutoff`` when higher is better.

References
----------
* Jacobson, N. S. & Truax, P. (1991). Clinical significance: a statistical approach
  to defining meaningful change in psychotherapy research. JCCP 59, 12-19.
"""
from __future__ import annotations

import numpy as np

__all__ = ["CATEGORIES", "s_diff", "classify"]

CATEGORIES = ("recovered", "improved", "unchanged", "deteriorated")


def s_diff(sd_pre: float, reliability: float) -> float:
    """The SD of the difference of two measurements with only measurement error.

    >>> round(s_diff(5.0, 0.8), 6)
    3.162278
    """
    if not (0 <= reliability <= 1):
        raise ValueError(f"a reliability lies between 0 and 1, not {reliability}")
    return float(sd_pre * np.sqrt(2 * (1 - reliability)))


def classify(pre: np.ndarray, post: np.ndarray, s_diff_: float, better: str, cutoff: float | None = None,
             z: float = 1.96) -> dict[str, np.ndarray]:
    """Per person: ``rci``, ``improved``, ``deteriorated``, ``dysfunctional_pre``,
    ``recovered`` (booleans) and ``category`` (recovered / improved / unchanged /
    deteriorated). Without a cutoff nobody is dysfunctional or recovered.

    >>> out = classify(np.array([20., 20, 20]), np.array([10., 19, 30]), 3.0, "lower", 13)
    >>> out["category"].tolist()
    ['recovered', 'unchanged', 'deteriorated']
    """
    if better not in ("higher", "lower"):
        raise ValueError(f"better is 'higher' or 'lower', not {better!r}")
    pre = np.asarray(pre, dtype=float)
    post = np.asarray(post, dtype=float)
    rci = (post - pre) / s_diff_ if s_diff_ > 0 else np.full(pre.shape, np.nan)
    sign = 1.0 if better == "higher" else -1.0
    improved = sign * rci > z
    deteriorated = sign * rci < -z
    if cutoff is None:
        dysfunctional = np.zeros(pre.shape, dtype=bool)
        functional_post = np.zeros(pre.shape, dtype=bool)
    elif better == "higher":
        dysfunctional, functional_post = ~(pre > cutoff), post > cutoff
    else:
        dysfunctional, functional_post = ~(pre <= cutoff), post <= cutoff
    recovered = improved & dysfunctional & functional_post
    category = np.where(recovered, "recovered", np.where(improved, "improved",
                                                         np.where(deteriorated, "deteriorated", "unchanged")))
    return {"rci": rci, "improved": improved, "deteriorated": deteriorated, "dysfunctional_pre": dysfunctional,
            "recovered": recovered, "category": category}
