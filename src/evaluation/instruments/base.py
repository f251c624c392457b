"""An instrument as the rest of the pipeline sees it, whatever its questionnaire family.

:class:`Instrument` knows three things and nothing else, and asks its family module
(``sdq``, ``who5``, ``pss``, ``psoc``, ``custom``) for the rules:

* how raw answers (numbers or Danish/English labels) become item codes
  (:meth:`Instrument.item_codes`), so ingest can validate them at the boundary;
* how item codes become scale scores (:meth:`Instrument.score`), with the number
  of answered items and the clinical band where one exists;
* which keyed items make up each scale, for reliability (:meth:`Instrument.scale_items`).

A family module may define ``LABELS``, ``RANGE``, ``SCALES``, ``keyed``,
``scale_items``, ``score``, ``bands``, ``labels_for``, ``valid_codes``,
``extra_columns``, ``rule_text``, ``SCALE_LABELS``, ``TITLE`` and ``check``; what it leaves out has the defaults
below. Scores are computed on whole columns (NumPy), never row by row.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from types import ModuleType
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from . import custom, psoc, pss, sdq, who5
from .bands import named

__all__ = ["Instrument", "FAMILIES", "family_of", "build_instrument", "build_instruments", "is_missing_code",
           "score_responses"]

FAMILIES: dict[str, ModuleType] = {name: module for module in (sdq, who5, pss, psoc) for name in module.NAMES}


def family_of(builtin: str | None) -> ModuleType:
    """The module that owns a built-in questionnaire's rules (``custom`` for a config-defined one)."""
    return FAMILIES[builtin] if builtin else custom


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

    @property
    def family(self) -> ModuleType:
        return family_of(self.builtin)

    # ---------------------------------------------------------------- metadata
    @property
    def scales(self) -> tuple[str, ...]:
        own = getattr(self.family, "scales", None)
        return own(self) if own else self.family.SCALES

    @property
    def columns(self) -> tuple[str, ...]:
        """Every export column this instrument reads."""
        extra = getattr(self.family, "extra_columns", None)
        return self.items + (extra(self) if extra else ())

    def rule_text(self, lang: str = "en") -> str:
        """One line describing the scoring rule in ``lang``, for the report's methods section."""
        return self.family.rule_text(self, lang)

    def scale_label(self, scale: str, lang: str = "en") -> str:
        """A scale's name for readers in ``lang`` (its id when the family has none)."""
        return getattr(self.family, "SCALE_LABELS", {}).get(scale, {}).get(lang, scale)

    def title(self, lang: str = "en") -> str:
        """The questionnaire's name for readers in ``lang`` (its configured id for a custom one)."""
        title = getattr(self.family, "TITLE", None)
        if isinstance(title, Mapping):
            title = title.get(self.builtin, {}).get(lang)
        return title or self.id

    @property
    def min_needed(self) -> int:
        """Answered items a score needs (``min_answered``, else every item)."""
        return self.min_answered if self.min_answered is not None else len(self.items)

    # ------------------------------------------------------------ item codes
    def _labels_for(self, column: str) -> Mapping[str, float]:
        own = getattr(self.family, "labels_for", None)
        return own(self, column) if own else self.family.LABELS

    def valid_codes(self, column: str) -> tuple[float, float, bool]:
        """(min, max, integers only) of the codes allowed in one column."""
        own = getattr(self.family, "valid_codes", None)
        return own(self, column) if own else (*self.family.RANGE, True)

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
        # decided once per distinct answer: its code, and whether a missing one is valid
        # (blank texts and missing codes are valid missing answers)
        which, uniques = pd.factorize(raw, use_na_sentinel=True)
        code = np.full(len(uniques) + 1, math.nan)  # the last: a missing cell
        fine = np.ones(len(uniques) + 1, dtype=bool)
        for k, value in enumerate(uniques):
            if self.missing and is_missing_code(value, self.missing):
                continue
            code[k] = _code_of(value, labels, lo, hi, integers, decimal)
            fine[k] = not math.isnan(code[k]) or _is_blank(value)
        return (pd.Series(code[which], index=raw.index, name=raw.name),
                pd.Series(~fine[which], index=raw.index, name=raw.name))

    def missing_answers(self, raw: pd.Series) -> pd.Series:
        """Which answers of a raw column are a missing-answer code."""
        if not self.missing:
            return pd.Series(False, index=raw.index)
        which, uniques = pd.factorize(raw, use_na_sentinel=True)
        missing = np.array([is_missing_code(v, self.missing) for v in uniques] + [False], dtype=bool)
        return pd.Series(missing[which], index=raw.index)

    # --------------------------------------------------------------- scoring
    def keyed(self, answers: pd.DataFrame) -> np.ndarray:
        """Item codes keyed so that every item points the same way (rows x items). The
        family's ``keyed`` turns its reversed items round in place, in this copy of the
        answers (a national study's SDQ items are 370 MB: not copied twice)."""
        x = answers[list(self.items)].to_numpy(dtype=float, copy=True)
        own = getattr(self.family, "keyed", None)
        return own(self, x) if own else x

    def keyed_items(self, answers) -> np.ndarray:
        """:meth:`keyed` as items x rows, read a column at a time (``answers`` may be an
        :class:`evaluation.io.ParquetColumns`): what reliability wants, a scale's items as
        whole rows, without a second copy of the answers."""
        items = np.empty((len(self.items), len(answers)))
        for j, c in enumerate(self.items):
            items[j] = answers[c].to_numpy(dtype=float)
        own = getattr(self.family, "keyed", None)
        if own:
            own(self, items.T)  # in place, through the rows x items view
        return items

    def scale_items(self) -> dict[str, tuple[int, ...]]:
        """0-based item positions of each item-level scale (for reliability)."""
        own = getattr(self.family, "scale_items", None)
        return own(self) if own else {"total": tuple(range(len(self.items)))}

    def score(self, answers: pd.DataFrame) -> pd.DataFrame:
        """Scale scores of every row of ``answers`` (item codes, one row per person x wave).

        Returns a long DataFrame with the row's index as ``row`` and the columns
        ``scale, score, n_answered, band``; a row that cannot be scored keeps its
        line with an empty score.
        """
        k = self.keyed(answers)
        scores = self.family.score(self, answers, k, ~np.isnan(k))
        names = list(scores)
        score = [np.asarray(s, dtype=float) for s, _ in scores.values()]
        return pd.DataFrame({
            "row": np.tile(answers.index.to_numpy(), len(names)),
            "scale": pd.Categorical.from_codes(np.repeat(np.arange(len(names)), len(answers)),
                                               categories=pd.Index(names, dtype="str")),
            "score": np.concatenate(score) if names else np.array([]),
            "n_answered": np.concatenate([np.asarray(n, dtype="int64") for _, n in scores.values()])
            if names else np.array([], dtype="int64"),
            "band": _stacked_categories([self.bands_of(name, s) for name, s in zip(names, score)]),
        })

    def bands_of(self, scale: str, scores: np.ndarray) -> pd.Series:
        """The clinical band of each score of a scale (empty where the scale has none)."""
        s = np.asarray(scores, dtype=float)
        bands = getattr(self.family, "bands", None)
        return bands(self, scale, s) if bands else named(np.full(len(s), -1), ())


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
            value_range=FAMILIES[builtin].RANGE, min_answered=spec.get("min_answered"),
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
    """The scores table of CONTRACT section 4 from ingested responses, its text columns
    categorical (ids, waves and groups with sorted categories; instrument, scale and
    band in scoring order): 13 rows per person and wave, each text a small code.

    ``responses`` has one row per person x wave, the ``id_columns`` (pid, wave,
    municipality, variant, family) and the item codes. A person gets rows for an
    instrument only if at least one export they answered carries its items
    (``<instrument>__asked`` is true). Only single columns and one instrument's columns
    are taken from ``responses`` at a time (it may be an :class:`evaluation.io.ParquetColumns`).
    """
    parts = {}
    for iid, instrument in instruments.items():
        asked_col = f"{iid}__asked"
        asked = (responses[asked_col].to_numpy(dtype=bool) if asked_col in responses
                 else np.ones(len(responses), dtype=bool))
        if not asked.any():
            continue
        # only this instrument's columns (a copy of every item column per instrument
        # was 1.3 GB at 10^6 respondents)
        rows = responses[[c for c in instrument.columns if c in responses]].iloc[np.flatnonzero(asked)]
        rows.index = np.flatnonzero(asked)  # positions: `row` of the scored table
        parts[iid] = instrument.score(rows)
    columns = list(id_columns) + ["instrument", "scale", "score", "n_answered", "band"]
    if not parts:
        return pd.DataFrame({c: as_categories([]) for c in columns}).astype(
            {"score": float, "n_answered": "int64"})
    row = np.concatenate([p.pop("row").to_numpy() for p in parts.values()])
    out = {c: as_categories(responses[c]).take(row) for c in id_columns}
    del row
    out["instrument"] = pd.Categorical.from_codes(np.repeat(np.arange(len(parts)), [len(p) for p in parts.values()]),
                                                  categories=pd.Index(list(parts), dtype="str"))
    for c in ("scale", "score", "n_answered", "band"):  # each column stacked, then let go of in the parts
        pieces = [p.pop(c) for p in parts.values()]
        out[c] = (_stacked_categories(pieces) if c in ("scale", "band")
                  else np.concatenate([piece.to_numpy() for piece in pieces]))
        del pieces
    return pd.DataFrame({c: out.pop(c) for c in columns}, copy=False)


def as_categories(values) -> pd.Categorical:
    """Text values as categories in sorted order (so that sorting or grouping by them
    goes as by the text); categorical values as they are.

    >>> as_categories(pd.Series(["b", "a", None, "b"])).codes.tolist()
    [1, 0, -1, 1]
    """
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        return pd.Categorical(values)
    codes, uniques = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques).astype("str"))


def _stacked_categories(parts: Sequence[pd.Series | pd.Categorical]) -> pd.Categorical:
    """Categorical parts one after another, their categories joined in order of first
    appearance (pandas' concat would turn parts with unlike categories into text)."""
    from pandas.api.types import union_categoricals

    if not parts:
        return pd.Categorical([], categories=pd.Index([], dtype="str"))
    return union_categoricals([pd.Categorical(p) for p in parts])
