"""The pandera contracts between stages catch what ingest must never hand on."""
from __future__ import annotations

import pandas as pd
import pytest

from evaluation.instruments import build_instrument
from evaluation.schemas import responses_schema, scores_schema, validate

OWN = {"own": build_instrument("own", {"items": ["k1"], "range": [1, 5]})}


def responses(**changes) -> pd.DataFrame:
    frame = pd.DataFrame({"pid": ["0123456789abcdef", "0123456789abcdef"], "wave": ["pre", "post"],
                          "municipality": ["Aarhus", None], "k1": [1.0, None], "own__asked": [True, True]})
    return frame.assign(**changes)


def test_valid_responses_pass():
    validate(responses(), responses_schema(OWN, ["municipality"]), "responses")


@pytest.mark.parametrize("changes, what", [
    ({"pid": ["A1", "A1"]}, "str_matches"),                 # a raw id
    ({"wave": ["pre", "pre"]}, "uniqueness"),               # the same person-wave twice
    ({"k1": [1.0, 6.0]}, "in_range"),                       # a code outside the instrument
    ({"extra": ["x", "y"]}, "column_in_schema"),            # a column nobody configured
])
def test_faults_are_caught(changes, what):
    with pytest.raises(RuntimeError, match="internal check of responses failed") as info:
        validate(responses(**changes), responses_schema(OWN, ["municipality"]), "responses")
    assert what in str(info.value)


def typed(scores: pd.DataFrame) -> pd.DataFrame:
    """A scores table as the score stage keeps it: every text column categorical."""
    return scores.astype({c: "category" for c in scores.columns if c not in ("score", "n_answered")})


def test_scores_schema_is_the_contract_order():
    scores = pd.DataFrame({"pid": ["0123456789abcdef"], "wave": ["pre"], "municipality": [None],
                           "variant": [None], "family": [None], "instrument": ["own"], "scale": ["total"],
                           "score": [None], "n_answered": pd.Series([0], dtype="int64"), "band": [None]})
    scores["score"] = scores["score"].astype(float)
    with pytest.raises(RuntimeError, match="category"):  # text columns as text: not the scores table's types
        validate(scores, scores_schema(["municipality", "variant"]), "scores")
    scores = typed(scores)
    validate(scores, scores_schema(["municipality", "variant"]), "scores")
    with pytest.raises(RuntimeError):
        validate(scores[scores.columns[::-1]], scores_schema(["municipality", "variant"]), "scores")
    for column in ("pid", "family"):  # the pseudonyms' columns are checked for the type alone
        with pytest.raises(RuntimeError, match=rf"{column}\s+dtype\('category'\)"):
            validate(scores.astype({column: "str"}), scores_schema(["municipality", "variant"]), "scores")


@pytest.mark.parametrize("pid, what", [("0123456789ABCDEF", "str_matches"), ("0123456789abcdef\n", "str_matches"),
                                       ("0123456789abcde", "str_matches"), (None, "not_nullable")])
def test_a_pseudonym_is_exactly_sixteen_hex_digits(pid, what):
    with pytest.raises(RuntimeError, match=what):
        validate(responses(pid=[pid, "0123456789abcdef"]), responses_schema(OWN, ["municipality"]), "responses")


def test_uniqueness_is_of_the_combination():
    """Repeats of one column are fine; a repeated combination is caught, missing values
    alike counting as equal (as pandas' duplicated)."""
    scores = pd.DataFrame({"pid": ["0123456789abcdef"] * 3, "wave": ["pre", "pre", "post"],
                           "municipality": [None] * 3, "variant": [None] * 3, "family": [None] * 3,
                           "instrument": ["own"] * 3, "scale": ["total", "sub", "total"],
                           "score": [1.0, 2.0, 3.0], "n_answered": pd.Series([1, 1, 1], dtype="int64"),
                           "band": [None] * 3})
    validate(typed(scores), scores_schema(["municipality", "variant"]), "scores")
    with pytest.raises(RuntimeError, match="uniqueness"):
        validate(typed(scores.assign(scale="total")), scores_schema(["municipality", "variant"]), "scores")
