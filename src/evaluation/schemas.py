"""The data contracts between stages, as pandera schemas.

Ingest turns raw exports into the canonical responses table, reporting every bad
value to the user with its file, line and column. These schemas then check what
ingest hands on, and what scoring hands on, before it is written: if a
bug ever let an invalid value, a raw id or a duplicate person-wave through, the
run stops here instead of publishing it.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .instruments import Instrument

__all__ = ["responses_schema", "scores_schema", "validate"]

PSEUDONYM = r"^[0-9a-f]{16}$"


def _matches(pattern: str) -> pa.Check:
    """``Check.str_matches(pattern)`` (whole values), decided once per distinct value
    (a scores table holds each pseudonym a dozen times: 26 million rows at 10^6
    respondents)."""
    def check(values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        text = pd.Series(uniques, dtype=object).astype(str)
        ok = np.r_[text.str.fullmatch(pattern).to_numpy(bool), False]  # the last: a missing value
        return pd.Series(ok[codes], index=values.index)

    return pa.Check(check, name="str_matches", error=f"str_matches('{pattern}')")


def _categorical() -> pa.Check:
    """The column is categorical: pandera's own ``category`` type reads every category
    into Python to describe the column's type (a million pseudonyms at 10^6 respondents,
    a second); the type alone is what matters here."""
    return pa.Check(lambda values: isinstance(values.dtype, pd.CategoricalDtype), name="dtype('category')",
                    error="dtype('category')")


def _unique(columns: Sequence[str]) -> pa.Check:
    """No two rows alike in ``columns`` (pandera's ``unique=``, on integer codes of each
    column rather than on their text: 13 s -> 1 s for 26 million score rows). When the
    combined codes span at most 16 values a row, one byte per possible combination
    tells whether any repeats (a hash table of 24 million keys took 3 s); the rows
    that repeat are found only then."""
    def check(frame: pd.DataFrame) -> pd.Series:
        key = np.zeros(len(frame), dtype=np.int64)
        room = 1
        for c in columns:
            values = frame[c]
            if isinstance(values.dtype, pd.CategoricalDtype):  # its codes (missing: -1 -> 0)
                codes, size = values.cat.codes.to_numpy() + 1, len(values.cat.categories) + 1
            else:
                codes, uniques = pd.factorize(values, use_na_sentinel=False)
                size = len(uniques) + 1
            room *= size
            if room >= 2 ** 62:  # codes that no longer fit one number: pandas on the values
                return ~frame.duplicated(list(columns), keep=False)
            key = key * size + codes
        if room <= 16 * len(frame) + 4096:
            seen = np.zeros(room, dtype=np.uint8)
            seen[key] = 1
            if np.count_nonzero(seen) == len(frame):
                return pd.Series(True, index=frame.index)
        which, _ = pd.factorize(key)  # a hash table, not a sort
        return pd.Series(np.bincount(which)[which] == 1, index=frame.index)

    return pa.Check(check, name="uniqueness", error=f"uniqueness of {', '.join(columns)}")


def responses_schema(instruments: Mapping[str, Instrument], group_columns: list[str],
                     waves: Sequence[str] = ("pre", "post")) -> pa.DataFrameSchema:
    """One row per pseudonym and wave; every item code within its instrument's range."""
    columns = {
        "pid": pa.Column(str, _matches(PSEUDONYM)),
        "wave": pa.Column(str, pa.Check.isin(list(waves))),
    }
    for c in group_columns:
        check = _matches(PSEUDONYM) if c == "family" else None
        columns[c] = pa.Column(str, check, nullable=True)
    for iid, instrument in instruments.items():
        columns[f"{iid}__asked"] = pa.Column(bool)
        for column in instrument.columns:
            lo, hi, _ = instrument.valid_codes(column)
            columns[column] = pa.Column(float, pa.Check.in_range(lo, hi), nullable=True)
    return pa.DataFrameSchema(columns, checks=[_unique(["pid", "wave"])], strict=True)


def scores_schema(groups: Sequence[str] = (), waves: Sequence[str] = ("pre", "post")) -> pa.DataFrameSchema:
    """CONTRACT section 4, scores.parquet: ``pid, wave, <group ids>, family, instrument, ...``;
    every text column categorical (a row per person, wave and scale: millions of rows
    in a national study, each text a small code)."""
    return pa.DataFrameSchema({
        "pid": pa.Column(None, [_categorical(), _matches(PSEUDONYM)]),  # pseudonyms: many categories
        "wave": pa.Column("category", pa.Check.isin(list(waves))),
        **{g: pa.Column("category", nullable=True) for g in groups},
        "family": pa.Column(None, _categorical(), nullable=True),
        "instrument": pa.Column("category"),
        "scale": pa.Column("category"),
        "score": pa.Column(float, nullable=True),
        "n_answered": pa.Column("int64", pa.Check.ge(0)),
        "band": pa.Column("category", nullable=True),
    }, checks=[_unique(["pid", "wave", "instrument", "scale"])], strict=True, ordered=True)


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, what: str) -> pd.DataFrame:
    """Validate, turning pandera's report into one readable error (an internal fault)."""
    try:  # in place: nothing is coerced, and a copy consolidated 60 item columns (1 GB at 10^6)
        return schema.validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "failure_case"]].drop_duplicates().head(20)
        raise RuntimeError(f"internal check of {what} failed (a bug, not bad input; please report it):\n"
                           + cases.to_string(index=False)) from None
