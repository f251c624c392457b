"""Scoring by the published rules (shared/instruments.md), checked against R."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import REFERENCE, make_study
from evaluation.ingest import ingest_study
from evaluation.instruments import (Instrument, build_instrument, cronbach_alpha, reliability,
                                    score_responses, sdq_prorate)

SDQ = [f"sdq{k}" for k in range(1, 26)]
WHO = [f"who{k}" for k in range(1, 6)]
PSS = [f"pss{k}" for k in range(1, 19)]


def sdq(**kw) -> Instrument:
    return build_instrument("sdq", {"builtin": "sdq_parent", "items": SDQ, **kw})


def score_one(instrument: Instrument, values: dict) -> dict:
    row = pd.DataFrame([values]).reindex(columns=list(instrument.columns)).astype(float)
    out = instrument.score(row)
    return dict(zip(out["scale"], out["score"]))


def test_reference_scores_reproduced_exactly():
    export = pd.read_csv(REFERENCE / "instruments" / "export.csv")
    expected = pd.read_csv(REFERENCE / "instruments" / "expected_scores.csv")
    instruments = {"sdq": sdq(), "who5": build_instrument("who5", {"builtin": "who5", "items": WHO}),
                   "pss": build_instrument("pss", {"builtin": "pss", "items": PSS})}
    got = score_responses(export, instruments, ["id", "wave"])
    m = expected.merge(got, on=["id", "wave", "instrument", "scale"], how="left", suffixes=("_r", ""))
    assert len(m) == len(expected) and m["n_answered"].notna().all()
    same = (m["score_r"] == m["score"]) | (m["score_r"].isna() & m["score"].isna())
    assert same.all(), m.loc[~same].head()


def test_reference_alpha_to_1e6():
    export = pd.read_csv(REFERENCE / "instruments" / "export.csv")
    expected = pd.read_csv(REFERENCE / "instruments" / "expected_alpha.csv")
    instruments = {"who5": build_instrument("who5", {"builtin": "who5", "items": WHO}),
                   "pss": build_instrument("pss", {"builtin": "pss", "items": PSS})}
    got = reliability(export, instruments)
    m = expected.merge(got, on=["instrument", "scale", "wave"], suffixes=("_r", ""))
    assert len(m) == len(expected)
    assert (m["n_r"] == m["n"]).all()
    np.testing.assert_allclose(m["alpha"], m["alpha_r"], rtol=1e-6)


def test_reference_through_ingest_from_text_cells():
    """The same export, read as a user's CSV through ingest, scores the same."""
    study = make_study({
        "title": "instruments", "exports": [{"path": str(REFERENCE / "instruments" / "export.csv")}],
        "columns": {"id": "id", "wave": "wave", "municipality": "kommune"},
        "waves": {"pre": ["pre"], "post": ["post"]},
        "instruments": {"sdq": {"builtin": "sdq_parent", "items": SDQ},
                        "who5": {"builtin": "who5", "items": WHO},
                        "pss": {"builtin": "pss", "items": PSS}},
        "outcomes": {"w": {"instrument": "who5", "scale": "total", "better": "higher"}}})
    ingested = ingest_study(study, b"k")
    scores = score_responses(ingested.responses, study.instruments, ["pid", "wave"])
    expected = pd.read_csv(REFERENCE / "instruments" / "expected_scores.csv")
    assert sorted(scores["score"].dropna()) == sorted(expected["score"].dropna())
    assert scores["score"].isna().sum() == expected["score"].isna().sum()


# ------------------------------------------------ worked vectors, section 1.8
@pytest.mark.parametrize("fill, want", [
    (1, dict(emotional=5, conduct=5, hyperactivity=5, peer=5, prosocial=5, total_difficulties=20,
             externalising=10, internalising=10)),
    (0, dict(emotional=0, conduct=2, hyperactivity=4, peer=4, prosocial=0, total_difficulties=10,
             externalising=6, internalising=4)),
    (2, dict(emotional=10, conduct=8, hyperactivity=6, peer=6, prosocial=10, total_difficulties=30,
             externalising=14, internalising=16)),
])
def test_sdq_worked_vectors(fill, want):
    got = score_one(sdq(), {c: fill for c in SDQ})
    assert {k: got[k] for k in want} == want


def test_sdq_worked_vector_with_missing_items():
    values = {c: 0 for c in SDQ}
    values.update(sdq3=np.nan, sdq8=np.nan, sdq13=2, sdq5=1, sdq7=1, sdq18=np.nan)
    got = score_one(sdq(), values)
    assert {k: got[k] for k in ("emotional", "conduct", "hyperactivity", "peer", "prosocial",
                                "total_difficulties", "externalising", "internalising")} == dict(
        emotional=3, conduct=3, hyperactivity=4, peer=4, prosocial=0, total_difficulties=14,
        externalising=7, internalising=7)


PRORATE = {5: {s: s for s in range(11)},
           4: {0: 0, 1: 1, 2: 3, 3: 4, 4: 5, 5: 6, 6: 8, 7: 9, 8: 10},
           3: {0: 0, 1: 2, 2: 3, 3: 5, 4: 7, 5: 8, 6: 10}}


@pytest.mark.parametrize("n", [5, 4, 3])
def test_sdq_prorating_table(n):
    sums = np.array(list(PRORATE[n]), dtype=float)
    assert sdq_prorate(sums, np.full(len(sums), n)).tolist() == list(PRORATE[n].values())


def test_sdq_scale_missing_below_three_items_and_total_missing_with_it():
    values = {c: 1 for c in SDQ}
    values.update(sdq3=np.nan, sdq8=np.nan, sdq13=np.nan)  # emotional: 2 of 5 answered
    got = score_one(sdq(), values)
    assert np.isnan(got["emotional"]) and np.isnan(got["total_difficulties"])
    assert np.isnan(got["internalising"]) and got["externalising"] == 10


# ------------------------------------------------------------------ bands
def _band(instrument, scale, score):
    return instrument.bands_of(scale, np.array([float(score)]))[0]


@pytest.mark.parametrize("bands, scale, score, want", [
    ("3band", "total_difficulties", 13, "normal"), ("3band", "total_difficulties", 14, "borderline"),
    ("3band", "total_difficulties", 16, "borderline"), ("3band", "total_difficulties", 17, "abnormal"),
    ("3band", "emotional", 3, "normal"), ("3band", "emotional", 4, "borderline"),
    ("3band", "emotional", 5, "abnormal"), ("3band", "prosocial", 6, "normal"),
    ("3band", "prosocial", 5, "borderline"), ("3band", "prosocial", 4, "abnormal"),
    ("4band", "total_difficulties", 13, "close_to_average"),
    ("4band", "total_difficulties", 14, "slightly_raised"), ("4band", "total_difficulties", 16, "slightly_raised"),
    ("4band", "total_difficulties", 17, "high"), ("4band", "total_difficulties", 19, "high"),
    ("4band", "total_difficulties", 20, "very_high"), ("4band", "hyperactivity", 7, "slightly_raised"),
    ("4band", "hyperactivity", 8, "high"), ("4band", "hyperactivity", 9, "very_high"),
    ("4band", "prosocial", 8, "close_to_average"), ("4band", "prosocial", 7, "slightly_lowered"),
    ("4band", "prosocial", 6, "low"), ("4band", "prosocial", 5, "very_low"),
])
def test_sdq_parent_band_boundaries(bands, scale, score, want):
    assert _band(sdq(bands=bands), scale, score) == want


def test_sdq_self_report_bands_differ():
    self_report = build_instrument("s", {"builtin": "sdq_self", "items": SDQ, "bands": "3band"})
    assert _band(self_report, "total_difficulties", 15) == "normal"
    assert _band(self_report, "total_difficulties", 16) == "borderline"
    assert _band(self_report, "peer", 5) == "borderline" and _band(self_report, "peer", 6) == "abnormal"


def test_worked_all_ones_bands_parent():
    inst3, inst4 = sdq(bands="3band"), sdq()
    scores = {"total_difficulties": 20, "emotional": 5, "conduct": 5, "hyperactivity": 5, "peer": 5, "prosocial": 5}
    assert {s: _band(inst3, s, v) for s, v in scores.items()} == {
        "total_difficulties": "abnormal", "emotional": "abnormal", "conduct": "abnormal",
        "hyperactivity": "normal", "peer": "abnormal", "prosocial": "borderline"}
    assert {s: _band(inst4, s, v) for s, v in scores.items()} == {
        "total_difficulties": "very_high", "emotional": "high", "conduct": "high",
        "hyperactivity": "close_to_average", "peer": "very_high", "prosocial": "very_low"}


@pytest.mark.parametrize("score, want", [(48, "poor_wellbeing"), (50, "poor_wellbeing"),
                                         (52, "not_poor")])
def test_who5_cutoff(score, want):
    assert _band(build_instrument("w", {"builtin": "who5", "items": WHO}), "total", score) == want


# --------------------------------------------------------- other built-ins
def test_who5_total_and_min_answered():
    full = build_instrument("w", {"builtin": "who5", "items": WHO})
    assert score_one(full, dict(zip(WHO, [5, 4, 3, 2, 1])))["total"] == 60
    assert np.isnan(score_one(full, dict(zip(WHO, [5, 4, 3, 2, np.nan])))["total"])
    lenient = build_instrument("w", {"builtin": "who5", "items": WHO, "min_answered": 4})
    # raw = 5 x mean of answered = 5 x 3.5 = 17.5, unrounded; x 4 = 70
    assert score_one(lenient, dict(zip(WHO, [5, 4, 3, 2, np.nan])))["total"] == 70


def test_pss_reverse_keys():
    pss = build_instrument("p", {"builtin": "pss", "items": PSS})
    # all answered 1: the 8 reversed items count 5, the 10 others 1
    assert score_one(pss, {c: 1 for c in PSS})["total"] == 8 * 5 + 10


def test_psoc_scales():
    items = [f"q{k}" for k in range(1, 17)]
    psoc = build_instrument("c", {"builtin": "psoc", "items": items})
    got = score_one(psoc, {c: 6 for c in items})
    assert got == {"satisfaction": 9, "efficacy": 42, "total": 51}
    got = score_one(psoc, {**{c: 6 for c in items}, "q1": np.nan})
    assert np.isnan(got["efficacy"]) and got["satisfaction"] == 9 and np.isnan(got["total"])


def test_sdq_impact():
    imp = {"difficulties": "d", "distress": "i1", "home": "i2", "friendships": "i3",
           "classroom": "i4", "leisure": "i5"}
    inst = sdq(impact=imp)
    base = {c: 0 for c in SDQ}
    assert score_one(inst, {**base, "d": 2, "i1": 3, "i2": 2, "i3": 1, "i4": 0, "i5": np.nan})["impact"] == 3
    assert score_one(inst, {**base, "d": 0, "i1": 3})["impact"] == 0
    assert np.isnan(score_one(inst, {**base, "d": 2})["impact"])
    assert score_one(inst, {**base, "d": np.nan, "i1": 3})["impact"] == 2  # computed from the items


# ------------------------------------------------------------ answer labels
def test_danish_and_english_labels_ignore_case_and_spaces():
    codes, invalid = sdq().item_codes("sdq1", pd.Series([" passer GODT ", "Passer ikke", "Somewhat true",
                                                         "", None, "1", 2.0]))
    assert codes.tolist()[:3] == [2.0, 0.0, 1.0]
    assert np.isnan(codes[3]) and np.isnan(codes[4]) and codes.tolist()[5:] == [1.0, 2.0]
    assert not invalid.any()


def test_unknown_label_and_out_of_range_are_invalid():
    codes, invalid = sdq().item_codes("sdq1", pd.Series(["Passer måske", "3", 1.5, -1, "2"]))
    assert invalid.tolist() == [True, True, True, True, False]


def test_who5_danish_labels():
    who = build_instrument("w", {"builtin": "who5", "items": WHO})
    codes, invalid = who.item_codes("who1", pd.Series(["Hele tiden", "På intet tidspunkt",
                                                       "Lidt mere end halvdelen af tiden"]))
    assert codes.tolist() == [5.0, 0.0, 3.0] and not invalid.any()


def test_custom_instrument_reverse_mean_sum_and_labels():
    spec = {"items": ["k1", "k2", "k3", "k4"], "range": [1, 5], "reverse": ["k2"], "score": "sum",
            "min_answered": 3, "labels": {"Helt uenig": 1, "Helt enig": 5}}
    inst = build_instrument("own", spec)
    assert score_one(inst, {"k1": 5, "k2": 1, "k3": 5, "k4": 5})["total"] == 20
    assert score_one(inst, {"k1": 5, "k2": 1, "k3": 2, "k4": np.nan})["total"] == pytest.approx(12 / 3 * 4)
    assert np.isnan(score_one(inst, {"k1": 5, "k2": np.nan, "k3": np.nan, "k4": 1})["total"])
    mean = build_instrument("own", {**spec, "score": "mean"})
    assert score_one(mean, {"k1": 5, "k2": 1, "k3": 2, "k4": np.nan})["total"] == 4
    codes, invalid = inst.item_codes("k1", pd.Series(["helt enig", "Enig", "4.5"]))
    assert codes[0] == 5 and invalid.tolist() == [False, True, False]


def test_alpha_on_perfectly_parallel_items_is_one():
    x = np.tile(np.arange(10.0)[:, None], (1, 4))
    assert cronbach_alpha(x) == pytest.approx(1.0)


def test_items_keyed_as_rows_are_the_keyed_answers_turned():
    """Instrument.keyed_items (reliability's layout, keyed in place) equals keyed(),
    transposed, for every family with reversed items; the answers are not changed."""
    rng = np.random.default_rng(3)
    psoc_items = [f"psoc{k}" for k in range(1, 17)]
    instruments = [sdq(), build_instrument("pss", {"builtin": "pss", "items": PSS}),
                   build_instrument("psoc", {"builtin": "psoc", "items": psoc_items}),
                   build_instrument("own", {"items": ["a", "b", "c"], "range": [1, 5], "reverse": ["b"]})]
    for instrument in instruments:
        answers = pd.DataFrame(rng.integers(0, 3, (20, len(instrument.items))).astype(float),
                               columns=list(instrument.items))
        answers.iloc[2, 1] = np.nan
        before = answers.copy()
        assert np.array_equal(instrument.keyed_items(answers), instrument.keyed(answers).T, equal_nan=True)
        pd.testing.assert_frame_equal(answers, before)
        assert not np.array_equal(instrument.keyed(answers), answers.to_numpy(), equal_nan=True)
