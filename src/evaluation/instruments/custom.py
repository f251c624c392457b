"""Instruments defined in the config: items in a numeric range, some reversed, a mean
or a sum of the answered items (prorated), ``min_answered``, optional answer labels."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .keying import reverse_items

SCALES = ("total",)
TAKES_MIN_ANSWERED = True


def labels_for(instrument, column: str):
    return {str(k).strip().casefold(): v for k, v in instrument.labels.items()}


def valid_codes(instrument, column: str) -> tuple[float, float, bool]:
    return (instrument.value_range[0], instrument.value_range[1], False)


def keyed(instrument, x: np.ndarray) -> np.ndarray:
    lo, hi = instrument.value_range
    rev = np.isin(np.array(instrument.items), np.array(instrument.reverse, dtype=object))
    return reverse_items(x, rev, lo + hi)  # in place: x is the instrument's own copy (Instrument.keyed)


def score(instrument, answers: pd.DataFrame, k: np.ndarray, answered: np.ndarray) -> dict:
    n = answered.sum(axis=1)
    n_items = len(instrument.items)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(k, axis=1) / n
    s = np.where(n == n_items, np.nansum(k, axis=1), mean * n_items) if instrument.score_rule == "sum" else mean
    return {"total": (np.where(n >= instrument.min_needed, s, np.nan), n)}


SCALE_LABELS = {"total": {"da": "Samlet score", "en": "Total score"}}


def rule_text(instrument, lang: str = "en") -> str:
    lo, hi = instrument.value_range
    if lang == "da":
        rule = {"sum": "sum", "mean": "gennemsnit"}.get(instrument.score_rule, instrument.score_rule)
        rev = f"; vendt: {', '.join(instrument.reverse)}" if instrument.reverse else ""
        return (f"egen skala: {rule} af {len(instrument.items)} items i [{lo:g}; {hi:g}]{rev}; "
                f"mindst {instrument.min_needed} besvaret")
    rev = f"; reversed: {', '.join(instrument.reverse)}" if instrument.reverse else ""
    return (f"custom: {instrument.score_rule} of {len(instrument.items)} items in [{lo:g}, {hi:g}]"
            f"{rev}; at least {instrument.min_needed} answered")


def check(spec, where: str) -> list[str]:
    """A custom instrument's config rules: a finite range, reversed items among the
    items, ``min_answered`` at most the items, labels inside the range."""
    problems = []
    lo, hi = spec["range"]
    if not all(math.isfinite(x) and abs(x) <= 1e9 for x in (lo, hi)):
        return [f"{where}.range: [{lo}, {hi}] must be finite numbers between -1e9 and 1e9"]
    if lo >= hi:
        problems.append(f"{where}.range: [{lo}, {hi}] must be [min, max] with min < max")
    for item in spec.get("reverse", []):
        if item not in spec["items"]:
            problems.append(f"{where}.reverse: {item!r} is not one of the instrument's items")
    if spec.get("min_answered", 0) > len(spec["items"]):
        problems.append(f"{where}.min_answered: {spec['min_answered']} is more than the "
                        f"{len(spec['items'])} items")
    for label, value in spec.get("labels", {}).items():
        if not lo <= value <= hi:
            problems.append(f"{where}.labels: {label!r} maps to {value}, outside range [{lo}, {hi}]")
    return problems
