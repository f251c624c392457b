"""SDQ, parent and self report (instruments.md section 1): 25 items coded 0/1/2, five
subscales prorated from 3 of 5 answered items, totals, the impact supplement, and the
3- and 4-band cut-offs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .bands import BAND_NAMES, band_index, named
from .keying import reverse_items

NAMES = ("sdq_parent", "sdq_self")
TITLE = {"sdq_parent": {"da": "SDQ, forældreudgave", "en": "SDQ, parent version"},
         "sdq_self": {"da": "SDQ, selvrapport", "en": "SDQ, self-report"}}
N_ITEMS = 25
RANGE = (0, 2)
# Danish wording from KL's FHIR guide; matching ignores case and surrounding spaces
LABELS = {
    "passer ikke": 0, "passer delvist": 1, "passer godt": 2,
    "not true": 0, "somewhat true": 1, "certainly true": 2,
}
DIFFICULTIES_LABELS = {
    "nej": 0, "ja, mindre vanskeligheder": 1, "ja, tydelige vanskeligheder": 2,
    "ja, alvorlige vanskeligheder": 3,
    "no": 0, "yes - minor difficulties": 1, "yes - definite difficulties": 2,
    "yes - severe difficulties": 3, "yes, minor difficulties": 1,
    "yes, definite difficulties": 2, "yes, severe difficulties": 3,
}
IMPACT_LABELS = {
    "slet ikke": 0, "kun lidt": 1, "ret meget": 2, "virkelig meget": 3,
    "not at all": 0, "only a little": 1, "quite a lot": 2, "a medium amount": 2,
    "a great deal": 3,
}
REVERSED = (7, 11, 14, 21, 25)  # instruments.md 1.2: score = 2 - raw
SCALES_ITEMS = {  # instruments.md 1.3, item numbers 1-based in the official order
    "emotional": (3, 8, 13, 16, 24),
    "conduct": (5, 7, 12, 18, 22),
    "hyperactivity": (2, 10, 15, 21, 25),
    "peer": (6, 11, 14, 19, 23),
    "prosocial": (1, 4, 9, 17, 20),
}
COMPOSITES = {
    "total_difficulties": ("emotional", "conduct", "hyperactivity", "peer"),
    "externalising": ("conduct", "hyperactivity"),
    "internalising": ("emotional", "peer"),
}
IMPACT_ITEMS = ("difficulties", "distress", "home", "friendships", "classroom", "leisure")
SCALES = tuple(SCALES_ITEMS) + tuple(COMPOSITES) + ("impact",)
# instruments.md 1.6: for each scale the upper bound of every band but the last
# (higher score = worse), or for prosocial the lower bound (lower = worse)
CUTS = {
    ("sdq_parent", "3band"): {
        "total_difficulties": (13, 16), "emotional": (3, 4), "conduct": (2, 3),
        "hyperactivity": (5, 6), "peer": (2, 3), "prosocial": (6, 5), "impact": (0, 1),
    },
    ("sdq_self", "3band"): {
        "total_difficulties": (15, 19), "emotional": (5, 6), "conduct": (3, 4),
        "hyperactivity": (5, 6), "peer": (3, 5), "prosocial": (6, 5), "impact": (0, 1),
    },
    ("sdq_parent", "4band"): {
        "total_difficulties": (13, 16, 19), "emotional": (3, 4, 6), "conduct": (2, 3, 5),
        "hyperactivity": (5, 7, 8), "peer": (2, 3, 4), "prosocial": (8, 7, 6),
        "impact": (0, 1, 2),
    },
    ("sdq_self", "4band"): {
        "total_difficulties": (14, 17, 19), "emotional": (4, 5, 6), "conduct": (3, 4, 5),
        "hyperactivity": (5, 6, 7), "peer": (2, 3, 4), "prosocial": (7, 6, 5),
        "impact": (0, 1, 2),
    },
}


def prorate(raw_sum: np.ndarray, n_answered: np.ndarray) -> np.ndarray:
    """SDQ scale score from the keyed raw sum of the answered items.

    Notes
    -----
    The official syntax computes ``floor(0.5 + 5 * mean(answered))`` when at least
    3 of the 5 items are answered (instruments.md 1.4). The exact integer form
    ``(10*S + n) // (2*n)`` gives the same value with no floating-point error and
    rounds half up (Python's ``round`` would give 2 instead of 3 for S=2, n=4).

    Examples
    --------
    >>> prorate(np.array([2.0, 4.0, 2.0]), np.array([4, 3, 2])).tolist()
    [3.0, 7.0, nan]
    """
    raw_sum = np.asarray(raw_sum, dtype=float)
    n = np.asarray(n_answered, dtype=float)
    ok = n >= 3
    safe_n = np.where(ok, n, 1.0)
    return np.where(ok, np.floor_divide(10.0 * raw_sum + safe_n, 2.0 * safe_n), np.nan)


def scales(instrument) -> tuple[str, ...]:
    return SCALES if instrument.impact else tuple(s for s in SCALES if s != "impact")


def scales_of(spec) -> list[str]:
    """The scales an outcome may name, from the config entry."""
    return [s for s in SCALES if s != "impact" or "impact" in spec]


def has_bands(scale: str) -> bool:
    """Every subscale, the total and impact have cut-offs; externalising and internalising do not."""
    return scale in CUTS[("sdq_parent", "4band")]


def extra_columns(instrument) -> tuple[str, ...]:
    return tuple(instrument.impact[k] for k in IMPACT_ITEMS) if instrument.impact else ()


def labels_for(instrument, column: str):
    if instrument.impact and column == instrument.impact["difficulties"]:
        return DIFFICULTIES_LABELS
    if instrument.impact and column in instrument.impact.values():
        return IMPACT_LABELS
    return LABELS


def valid_codes(instrument, column: str) -> tuple[float, float, bool]:
    if instrument.impact and column in instrument.impact.values():
        return (0, 3, True)
    return (*RANGE, True)


def keyed(instrument, x: np.ndarray) -> np.ndarray:
    rev = np.isin(np.arange(1, 26), REVERSED)
    return reverse_items(x, rev, 2.0)  # in place: x is the instrument's own copy (Instrument.keyed)


def scale_items(instrument) -> dict[str, tuple[int, ...]]:
    out = {s: tuple(i - 1 for i in items) for s, items in SCALES_ITEMS.items()}
    for comp, parts in COMPOSITES.items():
        out[comp] = tuple(sorted(i for p in parts for i in out[p]))
    return out


def score(instrument, answers: pd.DataFrame, k: np.ndarray, answered: np.ndarray) -> dict:
    scores = {}
    for name, idx in SCALES_ITEMS.items():
        cols = [i - 1 for i in idx]
        n = answered[:, cols].sum(axis=1)
        scores[name] = (prorate(np.nansum(k[:, cols], axis=1), n), n)
    for name, parts in COMPOSITES.items():
        total = sum(scores[p][0] for p in parts)  # NaN propagates: missing if a part is
        n = sum(scores[p][1] for p in parts)
        scores[name] = (total, n)
    if instrument.impact:
        scores["impact"] = _impact(instrument, answers)
    return scores


def _impact(instrument, answers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """SDQ impact score (instruments.md 1.5).

    Impact items are recoded 0, 0, 1, 2; a missing item counts 0 unless every
    impact item is missing (then impact is missing); "no difficulties" gives 0.
    When the difficulties question itself is unanswered the score is computed
    from the items (project convention; counted in n_answered without it).
    """
    imp_cols = [instrument.impact[k] for k in IMPACT_ITEMS[1:]]
    x = answers.loc[:, imp_cols].to_numpy(dtype=float)
    n = (~np.isnan(x)).sum(axis=1)
    recoded = np.select([x <= 1, x == 2, x == 3], [0.0, 1.0, 2.0], default=0.0)
    s = np.where(n > 0, recoded.sum(axis=1), np.nan)
    diff = answers[instrument.impact["difficulties"]].to_numpy(dtype=float)
    s = np.where(diff == 0, 0.0, s)
    n_total = n + (~np.isnan(diff)).astype(int)
    return s, n_total


def bands(instrument, scale: str, s: np.ndarray) -> pd.Series:
    cuts = CUTS[(instrument.builtin, instrument.bands)].get(scale)
    if cuts is None:
        return named(np.full(len(s), -1), ())
    names = BAND_NAMES[instrument.bands]
    if scale == "prosocial" and instrument.bands == "4band":
        names = BAND_NAMES["4band_prosocial"]
    return named(band_index(s, cuts, lower_is_worse=(scale == "prosocial")), names)


SCALE_LABELS = {
    "emotional": {"da": "Emotionelle symptomer", "en": "Emotional symptoms"},
    "conduct": {"da": "Adfærdsproblemer", "en": "Conduct problems"},
    "hyperactivity": {"da": "Hyperaktivitet og opmærksomhed", "en": "Hyperactivity and inattention"},
    "peer": {"da": "Problemer med jævnaldrende", "en": "Peer problems"},
    "prosocial": {"da": "Prosocial adfærd", "en": "Prosocial behaviour"},
    "total_difficulties": {"da": "Samlede vanskeligheder", "en": "Total difficulties"},
    "externalising": {"da": "Udadreagerende vanskeligheder", "en": "Externalising problems"},
    "internalising": {"da": "Indadvendte vanskeligheder", "en": "Internalising problems"},
    "impact": {"da": "Påvirkning af hverdagen", "en": "Impact on daily life"},
}


def rule_text(instrument, lang: str = "en") -> str:
    bands = "".join(ch for ch in instrument.bands if ch.isdigit()) or instrument.bands
    if lang == "da":
        return ("SDQ's officielle nøgle (item 7, 11, 14, 21 og 25 vendt); en delskala kræver 3 af 5 items, "
                "prorateret som floor(0,5 + 5 × gennemsnit); en samlet skala mangler, når en delskala mangler; "
                f"{bands} bånd")
    return ("SDQ official key (items 7, 11, 14, 21, 25 reversed); a scale needs 3 of 5 "
            "items, prorated as floor(0.5 + 5 × mean); totals missing if a part is missing; "
            f"{bands} bands")
