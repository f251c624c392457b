"""Questionnaire scoring by the published rules.

Every built-in instrument follows ``shared/instruments.md`` ("Decisions for this
project"); custom instruments are defined in the config (CONTRACT section 2).
An :class:`Instrument` knows three things and nothing else:

* how raw answers (numbers or Danish/English labels) become item codes
  (:meth:`Instrument.item_codes`), so ingest can validate them at the boundary;
* how item codes become scale scores (:meth:`Instrument.score`), with the number
  of answered items and the clinical band where one exists;
* which keyed items make up each scale, for reliability
  (:meth:`Instrument.keyed_items`).

Scores are computed on whole columns (NumPy), never row by row.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = [
    "Instrument",
    "BUILTIN_SCALES",
    "BAND_ORDER",
    "band_sort_key",
    "build_instrument",
    "build_instruments",
    "score_responses",
    "reliability",
    "cronbach_alpha",
    "mcdonald_omega",
    "sdq_prorate",
]

# --------------------------------------------------------------------------- labels
# Danish wording from the official translations (SDQ: KL's FHIR guide; WHO-5:
# Psykiatrisk Center Nordsjælland; PSS: VIVE's Danish version; PSOC: common Danish
# translation). Matching ignores case and surrounding spaces.
SDQ_LABELS = {
    "passer ikke": 0, "passer delvist": 1, "passer godt": 2,
    "not true": 0, "somewhat true": 1, "certainly true": 2,
}
SDQ_DIFFICULTIES_LABELS = {
    "nej": 0, "ja, mindre vanskeligheder": 1, "ja, tydelige vanskeligheder": 2,
    "ja, alvorlige vanskeligheder": 3,
    "no": 0, "yes - minor difficulties": 1, "yes - definite difficulties": 2,
    "yes - severe difficulties": 3, "yes, minor difficulties": 1,
    "yes, definite difficulties": 2, "yes, severe difficulties": 3,
}
SDQ_IMPACT_LABELS = {
    "slet ikke": 0, "kun lidt": 1, "ret meget": 2, "virkelig meget": 3,
    "not at all": 0, "only a little": 1, "quite a lot": 2, "a medium amount": 2,
    "a great deal": 3,
}
WHO5_LABELS = {
    "på intet tidspunkt": 0, "lidt af tiden": 1,
    "lidt mindre end halvdelen af tiden": 2, "lidt mere end halvdelen af tiden": 3,
    "det meste af tiden": 4, "hele tiden": 5,
    "at no time": 0, "some of the time": 1, "less than half of the time": 2,
    "more than half of the time": 3, "most of the time": 4, "all of the time": 5,
}
PSS_LABELS = {
    "meget uenig": 1, "uenig": 2, "hverken enig eller uenig": 3, "enig": 4, "meget enig": 5,
    "strongly disagree": 1, "disagree": 2, "undecided": 3,
    "neither agree nor disagree": 3, "agree": 4, "strongly agree": 5,
}
PSOC_LABELS = {
    "helt uenig": 1, "uenig": 2, "lidt uenig": 3, "lidt enig": 4, "enig": 5, "helt enig": 6,
    "strongly disagree": 1, "disagree": 2, "somewhat disagree": 3,
    "somewhat agree": 4, "agree": 5, "strongly agree": 6,
}

# ---------------------------------------------------------------------- SDQ key
SDQ_REVERSED = (7, 11, 14, 21, 25)  # instruments.md 1.2: score = 2 - raw
SDQ_SCALES = {  # instruments.md 1.3, item numbers 1-based in the official order
    "emotional": (3, 8, 13, 16, 24),
    "conduct": (5, 7, 12, 18, 22),
    "hyperactivity": (2, 10, 15, 21, 25),
    "peer": (6, 11, 14, 19, 23),
    "prosocial": (1, 4, 9, 17, 20),
}
SDQ_COMPOSITES = {
    "total_difficulties": ("emotional", "conduct", "hyperactivity", "peer"),
    "externalising": ("conduct", "hyperactivity"),
    "internalising": ("emotional", "peer"),
}
SDQ_IMPACT_ITEMS = ("difficulties", "distress", "home", "friendships", "classroom", "leisure")

# Bands, instruments.md 1.6: for each scale the upper bound of every band but the
# last (higher score = worse), or for prosocial the lower bound (lower = worse).
SDQ_BANDS = {
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
# every band name in order from best to worst (for tables and figures)
BAND_ORDER = ("normal", "borderline", "abnormal", "close_to_average", "slightly_raised", "slightly_lowered",
              "high", "low", "very_high", "very_low", "not_poor", "poor_wellbeing")
BAND_NAMES = {
    "3band": ("normal", "borderline", "abnormal"),
    "4band": ("close_to_average", "slightly_raised", "high", "very_high"),
    "4band_prosocial": ("close_to_average", "slightly_lowered", "low", "very_low"),
}

# ---------------------------------------------------------------- other built-ins
PSS_REVERSED = (1, 2, 5, 6, 7, 8, 17, 18)  # instruments.md 4.1: 6 - x
PSOC_SATISFACTION = (2, 3, 4, 5, 8, 9, 12, 14, 16)  # reversed: 7 - x (1 = disagree form)
PSOC_EFFICACY = (1, 6, 7, 10, 11, 13, 15)

BUILTIN_SCALES = {
    "sdq_parent": tuple(SDQ_SCALES) + tuple(SDQ_COMPOSITES) + ("impact",),
    "sdq_self": tuple(SDQ_SCALES) + tuple(SDQ_COMPOSITES) + ("impact",),
    "who5": ("total",),
    "pss": ("total",),
    "psoc": ("satisfaction", "efficacy", "total"),
}
BUILTIN_N_ITEMS = {"sdq_parent": 25, "sdq_self": 25, "who5": 5, "pss": 18, "psoc": 16}
BUILTIN_RANGE = {"sdq_parent": (0, 2), "sdq_self": (0, 2), "who5": (0, 5), "pss": (1, 5),
                 "psoc": (1, 6)}
BUILTIN_LABELS = {"sdq_parent": SDQ_LABELS, "sdq_self": SDQ_LABELS, "who5": WHO5_LABELS,
                  "pss": PSS_LABELS, "psoc": PSOC_LABELS}


def band_sort_key(band: str) -> int:
    """Position of a band in BAND_ORDER (unknown names last)."""
    return BAND_ORDER.index(band) if band in BAND_ORDER else len(BAND_ORDER)


def sdq_prorate(raw_sum: np.ndarray, n_answered: np.ndarray) -> np.ndarray:
    """SDQ scale score from the keyed raw sum of the answered items.

    Notes
    -----
    The official syntax computes ``floor(0.5 + 5 * mean(answered))`` when at least
    3 of the 5 items are answered (instruments.md 1.4). The exact integer form
    ``(10*S + n) // (2*n)`` gives the same value with no floating-point error and
    rounds half up (Python's ``round`` would give 2 instead of 3 for S=2, n=4).

    Examples
    --------
    >>> sdq_prorate(np.array([2.0, 4.0, 2.0]), np.array([4, 3, 2])).tolist()
    [3.0, 7.0, nan]
    """
    raw_sum = np.asarray(raw_sum, dtype=float)
    n = np.asarray(n_answered, dtype=float)
    ok = n >= 3
    safe_n = np.where(ok, n, 1.0)
    return np.where(ok, np.floor_divide(10.0 * raw_sum + safe_n, 2.0 * safe_n), np.nan)


def _band_index(score: np.ndarray, cuts: Sequence[float], lower_is_worse: bool) -> np.ndarray:
    """Index of the band of every score (NaN stays -1)."""
    score = np.asarray(score, dtype=float)
    if lower_is_worse:
        # cuts are lower bounds of the better bands: band 0 if score >= cuts[0], ...
        idx = np.sum(score[:, None] < np.asarray(cuts)[None, :], axis=1)
    else:
        idx = np.sum(score[:, None] > np.asarray(cuts)[None, :], axis=1)
    return np.where(np.isnan(score), -1, idx)


@dataclass
class Instrument:
    """One configured instrument: its items (export columns) and scoring rules."""

    id: str
    items: tuple[str, ...]
    builtin: str | None = None
    value_range: tuple[float, float] = (0, 1)
    reverse: tuple[str, ...] = ()
    score_rule: str = "sum"  # custom: mean | sum
    min_answered: int | None = None
    labels: Mapping[str, float] = field(default_factory=dict)
    impact: Mapping[str, str] | None = None
    bands: str = "4band"
    missing: tuple = ()  # answers meaning "no answer" ("Ved ikke", 9): missing, counted, never invalid

    # ---------------------------------------------------------------- metadata
    @property
    def scales(self) -> tuple[str, ...]:
        if self.builtin is None:
            return ("total",)
        scales = BUILTIN_SCALES[self.builtin]
        if self.builtin.startswith("sdq") and not self.impact:
            scales = tuple(s for s in scales if s != "impact")
        return scales

    @property
    def columns(self) -> tuple[str, ...]:
        """Every export column this instrument reads."""
        extra = tuple(self.impact[k] for k in SDQ_IMPACT_ITEMS) if self.impact else ()
        return self.items + extra

    @property
    def rule_text(self) -> str:
        """One line describing the scoring rule, for the report's methods section."""
        if self.builtin and self.builtin.startswith("sdq"):
            return ("SDQ official key (items 7, 11, 14, 21, 25 reversed); a scale needs 3 of 5 "
                    "items, prorated as floor(0.5 + 5 x mean); totals missing if a part is missing; "
                    f"bands: {self.bands}")
        if self.builtin == "who5":
            return f"WHO-5: 4 x raw sum (0-100); at least {self._min_needed} of 5 items"
        if self.builtin == "pss":
            return ("PSS: items 1, 2, 5, 6, 7, 8, 17, 18 reversed (6 - x); sum 18-90; "
                    f"at least {self._min_needed} of 18 items")
        if self.builtin == "psoc":
            return ("PSOC (Johnston & Mash, 1-6 = strongly agree): satisfaction items reversed "
                    "(7 - x); sums; every item required")
        lo, hi = self.value_range
        rev = f"; reversed: {', '.join(self.reverse)}" if self.reverse else ""
        return (f"custom: {self.score_rule} of {len(self.items)} items in [{lo:g}, {hi:g}]"
                f"{rev}; at least {self._min_needed} answered")

    @property
    def _min_needed(self) -> int:
        return self.min_answered if self.min_answered is not None else len(self.items)

    # ------------------------------------------------------------ item codes
    def _labels_for(self, column: str) -> Mapping[str, float]:
        if self.impact and column == self.impact["difficulties"]:
            return SDQ_DIFFICULTIES_LABELS
        if self.impact and column in self.impact.values():
            return SDQ_IMPACT_LABELS
        if self.builtin:
            return BUILTIN_LABELS[self.builtin]
        return {str(k).strip().casefold(): v for k, v in self.labels.items()}

    def valid_codes(self, column: str) -> tuple[float, float, bool]:
        """(min, max, integers only) of the codes allowed in one column."""
        if self.impact and column in self.impact.values():
            return (0, 3, True)
        if self.builtin:
            lo, hi = BUILTIN_RANGE[self.builtin]
            return (lo, hi, True)
        return (self.value_range[0], self.value_range[1], False)

    def item_codes(self, column: str, raw: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
        """Numeric item codes of one export column, and a mask of invalid answers.

        An answer given as one of the instrument's ``missing`` codes is missing
        and valid (count them with :meth:`missing_answers`).

        Missing answers (empty, NaN) stay missing and are valid. Numbers must lie in
        the instrument's range (integers for built-ins); text must be a known label
        of the instrument, ignoring case and surrounding spaces. ``decimal`` is the
        export's decimal mark: with ``","`` the text ``1.000`` is a thousand (and out
        of range), not one; unset, either mark is read as a decimal point.
        """
        labels = self._labels_for(column)
        lo, hi, integers = self.valid_codes(column)
        uniques = pd.unique(raw.dropna())
        mapping: dict[object, float] = {}
        missing: set = set()
        for value in uniques:
            if self.missing and is_missing_code(value, self.missing):
                mapping[value] = math.nan
                missing.add(value)
            else:
                mapping[value] = _code_of(value, labels, lo, hi, integers, decimal)
        codes = raw.map(mapping).astype(float)
        invalid = raw.notna() & codes.isna() & ~raw.map(_is_blank).astype(bool)
        if missing:
            invalid &= ~raw.isin(list(missing))
        return codes, invalid

    def missing_answers(self, raw: pd.Series) -> pd.Series:
        """Which answers of a raw column are a missing-answer code."""
        if not self.missing:
            return pd.Series(False, index=raw.index)
        uniques = {v: is_missing_code(v, self.missing) for v in pd.unique(raw.dropna())}
        return raw.map(lambda v: uniques.get(v, False) if v is not None else False).fillna(False).astype(bool)

    # --------------------------------------------------------------- scoring
    def keyed(self, answers: pd.DataFrame) -> np.ndarray:
        """Item codes keyed so that every item points the same way (rows x items)."""
        x = answers.loc[:, list(self.items)].to_numpy(dtype=float)
        if self.builtin in ("sdq_parent", "sdq_self"):
            rev = np.isin(np.arange(1, 26), SDQ_REVERSED)
            return np.where(rev, 2.0 - x, x)
        if self.builtin == "pss":
            rev = np.isin(np.arange(1, 19), PSS_REVERSED)
            return np.where(rev, 6.0 - x, x)
        if self.builtin == "psoc":
            rev = np.isin(np.arange(1, 17), PSOC_SATISFACTION)
            return np.where(rev, 7.0 - x, x)
        if self.builtin == "who5":
            return x
        lo, hi = self.value_range
        rev = np.isin(np.array(self.items), np.array(self.reverse, dtype=object))
        return np.where(rev, lo + hi - x, x)

    def scale_items(self) -> dict[str, tuple[int, ...]]:
        """0-based item positions of each item-level scale (for reliability)."""
        if self.builtin in ("sdq_parent", "sdq_self"):
            out = {s: tuple(i - 1 for i in items) for s, items in SDQ_SCALES.items()}
            for comp, parts in SDQ_COMPOSITES.items():
                out[comp] = tuple(sorted(i for p in parts for i in out[p]))
            return out
        if self.builtin == "psoc":
            return {"satisfaction": tuple(i - 1 for i in PSOC_SATISFACTION),
                    "efficacy": tuple(i - 1 for i in PSOC_EFFICACY),
                    "total": tuple(range(16))}
        return {"total": tuple(range(len(self.items)))}

    def score(self, answers: pd.DataFrame) -> pd.DataFrame:
        """Scale scores of every row of ``answers`` (item codes, one row per person x wave).

        Returns a long DataFrame with the row's index as ``row`` and the columns
        ``scale, score, n_answered, band``; a row that cannot be scored keeps its
        line with an empty score.
        """
        k = self.keyed(answers)
        answered = ~np.isnan(k)
        scores: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if self.builtin in ("sdq_parent", "sdq_self"):
            for name, idx in SDQ_SCALES.items():
                cols = [i - 1 for i in idx]
                n = answered[:, cols].sum(axis=1)
                scores[name] = (sdq_prorate(np.nansum(k[:, cols], axis=1), n), n)
            for name, parts in SDQ_COMPOSITES.items():
                total = sum(scores[p][0] for p in parts)  # NaN propagates: missing if a part is
                n = sum(scores[p][1] for p in parts)
                scores[name] = (total, n)
            if self.impact:
                scores["impact"] = self._sdq_impact(answers)
        elif self.builtin == "psoc":
            for name, idx in (("satisfaction", PSOC_SATISFACTION), ("efficacy", PSOC_EFFICACY),
                              ("total", tuple(range(1, 17)))):
                cols = [i - 1 for i in idx]
                n = answered[:, cols].sum(axis=1)
                s = np.where(n == len(cols), np.nansum(k[:, cols], axis=1), np.nan)
                scores[name] = (s, n)
        else:
            n = answered.sum(axis=1)
            need = self._min_needed
            n_items = len(self.items)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.nansum(k, axis=1) / n
            if self.builtin == "who5":
                # raw = 5 x mean of the answered items (= the sum when all 5 are answered)
                s = 4.0 * np.where(n == n_items, np.nansum(k, axis=1), 5.0 * mean)
            elif self.builtin == "pss" or self.score_rule == "sum":
                s = np.where(n == n_items, np.nansum(k, axis=1), mean * n_items)
            else:
                s = mean
            scores["total"] = (np.where(n >= need, s, np.nan), n)

        frames = []
        for name, (s, n) in scores.items():
            frames.append(pd.DataFrame({
                "row": answers.index, "scale": name, "score": s.astype(float),
                "n_answered": np.asarray(n, dtype="int64"), "band": self._bands(name, s),
            }))
        return pd.concat(frames, ignore_index=True)

    def _sdq_impact(self, answers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """SDQ impact score (instruments.md 1.5).

        Impact items are recoded 0, 0, 1, 2; a missing item counts 0 unless every
        impact item is missing (then impact is missing); "no difficulties" gives 0.
        When the difficulties question itself is unanswered the score is computed
        from the items (project convention; counted in n_answered without it).
        """
        imp_cols = [self.impact[k] for k in SDQ_IMPACT_ITEMS[1:]]
        x = answers.loc[:, imp_cols].to_numpy(dtype=float)
        n = (~np.isnan(x)).sum(axis=1)
        recoded = np.select([x <= 1, x == 2, x == 3], [0.0, 1.0, 2.0], default=0.0)
        s = np.where(n > 0, recoded.sum(axis=1), np.nan)
        diff = answers[self.impact["difficulties"]].to_numpy(dtype=float)
        s = np.where(diff == 0, 0.0, s)
        n_total = n + (~np.isnan(diff)).astype(int)
        return s, n_total

    def _bands(self, scale: str, s: np.ndarray) -> pd.Series:
        s = np.asarray(s, dtype=float)
        if self.builtin in ("sdq_parent", "sdq_self"):
            cuts = SDQ_BANDS[(self.builtin, self.bands)].get(scale)
            if cuts is None:
                return pd.Series([None] * len(s), dtype="string")
            names = BAND_NAMES[self.bands]
            if scale == "prosocial" and self.bands == "4band":
                names = BAND_NAMES["4band_prosocial"]
            idx = _band_index(s, cuts, lower_is_worse=(scale == "prosocial"))
        elif self.builtin == "who5":
            # instruments.md 2.3: <= 50 = poor wellbeing (screen for depression)
            idx = np.where(np.isnan(s), -1, (s <= 50).astype(int))
            names = ("not_poor", "poor_wellbeing")
        else:
            return pd.Series([None] * len(s), dtype="string")
        out = np.array([names[i] if i >= 0 else None for i in idx], dtype=object)
        return pd.Series(out, dtype="string")


def _is_blank(value: object) -> bool:
    return isinstance(value, str) and value.strip() == ""


def _number(text: str, decimal: str | None) -> float:
    """A number written with the export's decimal mark (and, with one set, thousands
    grouped by the other mark)."""
    if decimal is None:
        return float(text.replace(",", "."))
    other = "." if decimal == "," else ","
    if other in text:
        if not re.fullmatch(rf"[-+]?\d{{1,3}}(?:{re.escape(other)}\d{{3}})+(?:{re.escape(decimal)}\d*)?", text):
            raise ValueError(text)
        text = text.replace(other, "")
    return float(text.replace(decimal, "."))


def _code_of(value: object, labels: Mapping[str, float], lo: float, hi: float,
             integers: bool, decimal: str | None = None) -> float:
    """The code of one raw answer, or NaN when it is blank or invalid."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return math.nan
        key = text.casefold()
        if key in labels:
            return float(labels[key])
        try:
            number = _number(text, decimal)
        except ValueError:
            return math.nan
    elif isinstance(value, (bool, np.bool_)):
        return math.nan
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return math.nan
    if math.isnan(number) or number < lo or number > hi:
        return math.nan
    if integers and number != int(number):
        return math.nan
    return number


# ------------------------------------------------------------------ construction
def build_instrument(instrument_id: str, spec: Mapping, missing: Sequence = ()) -> Instrument:
    """An :class:`Instrument` from its config entry (CONTRACT section 2).

    ``missing`` are the study's missing-answer codes; the instrument's own
    ``missing`` replaces them (``missing: []`` for an already scored column).
    """
    items = tuple(spec["items"])
    codes = tuple(spec.get("missing", missing))
    if "builtin" in spec:
        builtin = spec["builtin"]
        return Instrument(
            id=instrument_id, items=items, builtin=builtin,
            value_range=BUILTIN_RANGE[builtin], min_answered=spec.get("min_answered"),
            impact=dict(spec["impact"]) if spec.get("impact") else None,
            bands=spec.get("bands", "4band"), missing=codes,
        )
    lo, hi = spec["range"]
    return Instrument(
        id=instrument_id, items=items, value_range=(float(lo), float(hi)),
        reverse=tuple(spec.get("reverse", ())), score_rule=spec.get("score", "mean"),
        min_answered=spec.get("min_answered"), labels=dict(spec.get("labels", {})), missing=codes,
    )


def build_instruments(specs: Mapping[str, Mapping], missing: Sequence = ()) -> dict[str, Instrument]:
    return {iid: build_instrument(iid, spec, missing) for iid, spec in specs.items()}


def is_missing_code(value: object, codes: Sequence) -> bool:
    """Whether a raw answer is one of the missing-answer codes: text ignoring case and
    surrounding spaces, numbers numerically (9 matches 9, "9" and 9.0).

    >>> [is_missing_code(v, ["Ved ikke", 9]) for v in (" ved IKKE ", "9", 9.0, 8, "Ved ikke helt")]
    [True, True, True, False, False]
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    text = str(value).strip().casefold()
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        number = None
    for code in codes:
        if isinstance(code, str):
            if text == code.strip().casefold():
                return True
            try:
                if number is not None and number == float(code.strip().replace(",", ".")):
                    return True
            except ValueError:
                pass
        elif number is not None and number == float(code):
            return True
    return False


def score_responses(responses: pd.DataFrame, instruments: Mapping[str, Instrument],
                    id_columns: Sequence[str]) -> pd.DataFrame:
    """The scores table of CONTRACT section 4 from ingested responses.

    ``responses`` has one row per person x wave, the ``id_columns`` (pid, wave,
    municipality, variant, family) and the item codes. A person gets rows for an
    instrument only if at least one export they answered carries its items
    (``<instrument>__asked`` is true).
    """
    frames = []
    for iid, instrument in instruments.items():
        asked_col = f"{iid}__asked"
        rows = responses[responses[asked_col]] if asked_col in responses else responses
        if rows.empty:
            continue
        scored = instrument.score(rows)
        ids = rows.loc[scored["row"], list(id_columns)].reset_index(drop=True)
        scored = pd.concat([ids, scored.drop(columns="row")], axis=1)
        scored.insert(len(id_columns), "instrument", iid)
        frames.append(scored)
    columns = list(id_columns) + ["instrument", "scale", "score", "n_answered", "band"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


# ------------------------------------------------------------------ reliability
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
    k = x.shape[1]
    if k < 2 or x.shape[0] < 2:
        return math.nan
    total_var = x.sum(axis=1).var(ddof=1)
    if total_var == 0:
        return math.nan
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / total_var)


def mcdonald_omega(items: np.ndarray, max_iter: int = 500, tol: float = 1e-8) -> float:
    """McDonald's omega total from a one-factor model (principal axis factoring).

    Notes
    -----
    Loadings come from iterated principal axis factoring of the item correlation
    matrix (communalities start at the squared multiple correlations);
    omega = (sum lambda)^2 / ((sum lambda)^2 + sum(1 - lambda^2)) (McDonald 1999).
    """
    x = np.asarray(items, dtype=float)
    if x.shape[1] < 3 or x.shape[0] < 3 or np.any(x.std(axis=0, ddof=1) == 0):
        return math.nan
    r = np.corrcoef(x, rowvar=False)
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
                waves: Sequence[str] = ("pre", "post")) -> pd.DataFrame:
    """Cronbach's alpha and McDonald's omega per instrument scale and wave (in ``waves`` order).

    Computed on the keyed items of each item-level scale, complete cases per wave,
    with their number ``n`` (CONTRACT section 4, ``reliability.csv``).
    """
    rows = []
    for iid, instrument in instruments.items():
        asked_col = f"{iid}__asked"
        data = responses[responses[asked_col]] if asked_col in responses else responses
        keyed = instrument.keyed(data)
        for wave in waves:
            in_wave = (data["wave"] == wave).to_numpy()
            for scale, idx in instrument.scale_items().items():
                x = keyed[in_wave][:, list(idx)]
                x = x[~np.isnan(x).any(axis=1)]
                rows.append({"instrument": iid, "scale": scale, "wave": wave, "n": len(x),
                             "alpha": cronbach_alpha(x) if len(idx) > 1 else math.nan,
                             "omega": mcdonald_omega(x) if len(idx) > 2 else math.nan})
    return pd.DataFrame(rows, columns=["instrument", "scale", "wave", "n", "alpha", "omega"])
