"""The data contracts between stages, as pandera schemas.

Ingest turns raw exports into the canonical responses table, reporting every bad
value to the user with its file, line and column. These schemas then check what
ingest hands on, and what scoring hands on, before it is written: if a
bug ever let an invalid value, a raw id or a duplicate person-wave through, the
run stops here instead of publishing it.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd
import pandera.pandas as pa

from .instruments import Instrument

__all__ = ["responses_schema", "scores_schema", "validate"]

PSEUDONYM = r"^[0-9a-f]{16}$"


def responses_schema(instruments: Mapping[str, Instrument], group_columns: list[str],
                     waves: Sequence[str] = ("pre", "post")) -> pa.DataFrameSchema:
    """One row per pseudonym and wave; every item code within its instrument's range."""
    columns = {
        "pid": pa.Column(str, pa.Check.str_matches(PSEUDONYM)),
        "wave": pa.Column(str, pa.Check.isin(list(waves))),
    }
    for c in group_columns:
        check = pa.Check.str_matches(PSEUDONYM) if c == "family" else None
        columns[c] = pa.Column(str, check, nullable=True)
    for iid, instrument in instruments.items():
        columns[f"{iid}__asked"] = pa.Column(bool)
        for column in instrument.columns:
            lo, hi, _ = instrument.valid_codes(column)
            columns[column] = pa.Column(float, pa.Check.in_range(lo, hi), nullable=True)
    return pa.DataFrameSchema(columns, unique=["pid", "wave"], strict=True)


def scores_schema(groups: Sequence[str] = (), waves: Sequence[str] = ("pre", "post")) -> pa.DataFrameSchema:
    """CONTRACT section 4, scores.parquet: ``pid, wave, <group ids>, family, instrument, ...``."""
    return pa.DataFrameSchema({
        "pid": pa.Column(str, pa.Check.str_matches(PSEUDONYM)),
        "wave": pa.Column(str, pa.Check.isin(list(waves))),
        **{g: pa.Column(nullable=True) for g in groups},
        "family": pa.Column(nullable=True),
        "instrument": pa.Column(str),
        "scale": pa.Column(str),
        "score": pa.Column(float, nullable=True),
        "n_answered": pa.Column("int64", pa.Check.ge(0)),
        "band": pa.Column(nullable=True),
    }, unique=["pid", "wave", "instrument", "scale"], strict=True, ordered=True)


def validate(frame: pd.DataFrame, schema: pa.DataFrameSchema, what: str) -> pd.DataFrame:
    """Validate, turning pandera's report into one readable error (an internal fault)."""
    try:
        return schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases[["column", "check", "failure_case"]].drop_duplicates().head(20)
        raise RuntimeError(f"internal check of {what} failed (a bug, not bad input; please report it):\n"
                           + cases.to_string(index=False)) from None
