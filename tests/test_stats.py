"""Paired statistics against R (shared/reference/paired) and their invariants."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from conftest import REFERENCE, make_study, paired_reference_spec
from evaluation.ingest import ingest_study
from evaluation.instruments import score_responses
from evaluation.stats import (RESULT_COLUMNS, adjust_pvalues, complete_pairs, hedges_j,
                              paired_statistics, results_table, signrank_pvalue)

GROUPINGS = [[], ["municipality"], ["variant"], ["municipality", "variant"]]
NUMERIC = [c for c in RESULT_COLUMNS if c not in ("outcome", "from_wave", "to_wave", "grouping", "group",
                                                  "suppressed")]


@pytest.fixture(scope="module")
def reference_results() -> pd.DataFrame:
    """The reference export through the real ingest -> score -> pairs -> results path."""
    study = make_study(paired_reference_spec(REFERENCE / "paired" / "export.csv"))
    ingested = ingest_study(study, b"test-key")
    scores = score_responses(ingested.responses, study.instruments,
                             ["pid", "wave", *study.group_columns])
    pairs = complete_pairs(scores, study.outcomes, study.group_columns)
    return results_table(pairs, study.groupings, ci_level=0.95, correction="holm", min_n=5)


def test_every_reference_cell_is_present(reference_results, paired_expected):
    got = set(zip(reference_results.outcome, reference_results.grouping, reference_results.group))
    want = set(zip(paired_expected.outcome, paired_expected.grouping, paired_expected.group))
    assert got == want


@pytest.mark.parametrize("column", [c for c in NUMERIC])
def test_reference_values_match_r(reference_results, paired_expected, column):
    m = paired_expected.merge(reference_results, on=["outcome", "grouping", "group"],
                              suffixes=("_r", "_py"))
    full = m[m["n_r"] >= 5]
    expected = full[f"{column}_r"].astype(float).to_numpy()
    got = full[f"{column}_py"].astype(float).to_numpy()
    rtol = 1e-5 if column.startswith("d_z_ci") else 1e-6
    both_missing = np.isnan(expected) & np.isnan(got)
    close = np.isclose(got, expected, rtol=rtol, atol=0)
    bad = ~(both_missing | close)
    assert not bad.any(), full.loc[bad, ["outcome", "grouping", "group", f"{column}_r", f"{column}_py"]]


def test_small_cells_are_flagged_as_r(reference_results, paired_expected):
    """The unsuppressed table flags the small cells (primary suppression, as R's column);
    what else is hidden is decided with every table of the study (test_disclosure)."""
    m = paired_expected.merge(reference_results, on=["outcome", "grouping", "group"],
                              suffixes=("_r", "_py"))
    assert (m["suppressed_r"] == m["suppressed_py"]).all()
    assert (m["suppressed_py"] == (m["n_r"] < 5)).all()


def test_reference_zero_change_group_is_empty_not_zero(reference_results):
    nul = reference_results[(reference_results.outcome == "x") & (reference_results.group == "Nul")].iloc[0]
    assert nul.diff_sd == 0 and nul.wilcoxon_v == 0
    for c in ("t", "p_t", "diff_ci_low", "d_z", "g_z", "d_rm", "p_wilcoxon", "r_rb", "p_t_adj"):
        assert np.isnan(nul[c]), c


# ---------------------------------------------------------------- unit checks
def test_signrank_exact_matches_scipy():
    rng = np.random.default_rng(3)
    for n in (1, 2, 5, 12, 30, 49):
        d = rng.normal(size=n) + 0.3
        v = np.sum(sps.rankdata(np.abs(d))[d > 0])
        ref = sps.wilcoxon(d, method="exact", correction=False).pvalue
        assert signrank_pvalue(np.array([v]), np.array([n]))[0] == pytest.approx(ref, rel=1e-12)


def test_wilcoxon_normal_approximation_matches_scipy_with_ties():
    d = np.array([1, 1, 2, 2, 2, -1, 3, -3, 4, 5, 0, 0], dtype=float)
    out = paired_statistics(np.zeros(len(d)), d, np.zeros(len(d), int), 1)
    ref = sps.wilcoxon(d, zero_method="wilcox", correction=True, method="approx")
    assert out.p_wilcoxon[0] == pytest.approx(ref.pvalue, rel=1e-12)


def test_hedges_j_exact_and_empty_below_two_df():
    import math

    for df in (2.0, 10.0, 57.0):
        exact = math.gamma(df / 2) / (math.sqrt(df / 2) * math.gamma((df - 1) / 2))
        assert hedges_j(np.array([df]))[0] == pytest.approx(exact, rel=1e-12)
    assert np.isnan(hedges_j(np.array([1.0, 0.0]))).all()


def test_undefined_statistics_are_empty_without_warnings():
    with np.errstate(all="raise"):
        out = paired_statistics(np.array([1.0, 5.0, 3.0]), np.array([2.0, np.nan, 4.0]),
                                np.array([0, 1, 2]), 4)
    assert list(out.n) == [1, 0, 1, 0]
    assert out.loc[0, "n_pre"] == 1 and out.loc[1, "n_pre"] == 1 and out.loc[1, "n_post"] == 0
    assert out[["t", "p_t", "d_z", "g_z", "d_av", "pre_sd"]].isna().all().all()


@pytest.mark.parametrize("method", ["holm", "bonferroni", "fdr_bh"])
def test_grouped_adjustment_matches_statsmodels(method):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(5)
    res = pd.DataFrame({"grouping": "g", "group": np.repeat(list("abcd"), 5),
                        "p_t": rng.uniform(0, 0.2, 20), "n": rng.integers(3, 20, 20)})
    res.loc[3, "p_t"] = np.nan
    adjusted = adjust_pvalues(res, method, min_n=5)
    for _, idx in res.groupby("group").groups.items():
        ok = [i for i in idx if res.at[i, "n"] >= 5 and not np.isnan(res.at[i, "p_t"])]
        if ok:
            ref = multipletests(res.loc[ok, "p_t"].to_numpy(), method=method)[1]
            np.testing.assert_allclose(adjusted[ok].to_numpy(), ref, rtol=1e-12)
        assert adjusted[[i for i in idx if i not in ok]].isna().all()


# ------------------------------------------------------------ property tests
def _pairs(draw_pre, draw_diff, groups, variants):
    return pd.DataFrame({"outcome": "o", "pid": [f"p{i}" for i in range(len(draw_pre))],
                         "pre": draw_pre, "post": np.asarray(draw_pre) + np.asarray(draw_diff),
                         "municipality": groups, "variant": variants})


pair_data = st.integers(6, 40).flatmap(lambda n: st.tuples(
    st.lists(st.integers(0, 30), min_size=n, max_size=n),
    st.lists(st.integers(-6, 6), min_size=n, max_size=n),
    st.lists(st.sampled_from(["A", "B", "C"]), min_size=n, max_size=n),
    st.lists(st.sampled_from(["g", "i"]), min_size=n, max_size=n)))

GROUPS2 = [[], ["municipality"], ["variant"], ["municipality", "variant"]]
PROPS = dict(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _close(a: pd.DataFrame, b: pd.DataFrame, columns) -> None:
    for c in columns:
        x, y = a[c].to_numpy(float), b[c].to_numpy(float)
        # d_rm = d_z sqrt(2(1 - r)) has an infinite slope at r = 1: there any
        # floating-point order of summation moves it by about sqrt(eps) = 1.5e-8
        atol = 1e-6 if c == "d_rm" else 1e-12
        assert np.allclose(x, y, rtol=1e-9, atol=atol, equal_nan=True), c


@settings(**PROPS)
@given(pair_data, st.randoms())
def test_invariant_to_row_order(data, rnd):
    pairs = _pairs(*data)
    shuffled = pairs.sample(frac=1, random_state=rnd.randint(0, 10**6))
    _close(results_table(pairs, GROUPS2), results_table(shuffled, GROUPS2), NUMERIC)


@settings(**PROPS)
@given(pair_data)
def test_invariant_to_relabelling_groups(data):
    pairs = _pairs(*data)
    relabelled = pairs.assign(municipality=pairs.municipality.map({"A": "Z", "B": "Y", "C": "X"}))
    a = results_table(pairs, GROUPS2)
    b = results_table(relabelled, GROUPS2)
    back = {"Z": "A", "Y": "B", "X": "C"}
    b["group"] = b["group"].map(lambda g: "+".join(back.get(p, p) for p in g.split("+")))
    b = a[["outcome", "grouping", "group"]].merge(b, on=["outcome", "grouping", "group"])
    _close(a, b, NUMERIC + ["suppressed"])


@settings(**PROPS)
@given(pair_data)
def test_swapping_waves_flips_signs_and_keeps_p(data):
    pairs = _pairs(*data)
    swapped = pairs.assign(pre=pairs.post, post=pairs.pre)
    a = results_table(pairs, GROUPS2)
    b = results_table(swapped, GROUPS2)
    for c in ("diff_mean", "t", "d_z", "r_rb", "g_z", "d_av", "d_rm"):
        atol = 1e-6 if c == "d_rm" else 1e-12
        assert np.allclose(a[c], -b[c], rtol=1e-9, atol=atol, equal_nan=True), c
    _close(a, b, ["p_t", "p_wilcoxon", "p_t_adj", "n", "diff_sd"])
    assert np.allclose(a.d_z_ci_low, -b.d_z_ci_high, rtol=1e-6, atol=1e-9, equal_nan=True)


@settings(**PROPS)
@given(pair_data, st.integers(-50, 50))
def test_adding_a_constant_changes_only_the_means(data, shift):
    pairs = _pairs(*data)
    moved = pairs.assign(pre=pairs.pre + shift, post=pairs.post + shift)
    a = results_table(pairs, GROUPS2)
    b = results_table(moved, GROUPS2)
    _close(a, b, [c for c in NUMERIC if c not in ("pre_mean", "post_mean")])
    assert np.allclose(a.pre_mean + shift, b.pre_mean) and np.allclose(a.post_mean + shift, b.post_mean)


def test_dz_interval_is_defined_ordered_and_antisymmetric_everywhere():
    """Regression: scipy's nct returns NaN far in a tail (e.g. cdf(-2.33, 4, -10))."""
    from evaluation.stats import dz_confidence_interval

    rng = np.random.default_rng(0)
    t = np.r_[rng.normal(0, 6, 2000), 2.333333, -2.333333, 40.0, -2.43]
    df = np.r_[rng.integers(1, 60, 2000), 4, 4, 1, 21].astype(float)
    low, high = dz_confidence_interval(t, df, df + 1, 0.95)
    assert not np.isnan(low).any() and not np.isnan(high).any() and np.all(low < high)
    low2, high2 = dz_confidence_interval(-t, df, df + 1, 0.95)
    assert np.array_equal(low, -high2) and np.array_equal(high, -low2)
    # the bounds are the quantile inversions they claim to be
    sqrt_n = np.sqrt(df + 1)
    assert np.allclose(sps.nct.sf(t, df, low * sqrt_n), 0.025, atol=1e-9)


def test_intervals_and_tests_are_calibrated_in_simulated_studies():
    """benchmarks/bench_calibration.py in small (400 studies, fixed seed): every
    interval holds the truth about 95 % of the time and every test rejects a true null
    about 5 % of the time (bands of about 3.5 Monte-Carlo errors; the benchmark
    measures them with 2,000 studies)."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("bench_calibration", REPO / "benchmarks" / "bench_calibration.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.calibrate(400, seed=3)
    assert len(rows) == 7
    for row in rows:
        if row["coverage"] is not None:
            assert 0.91 <= row["coverage"][0] <= 0.99, row
        if row["type_i"] is not None:
            assert 0.01 <= row["type_i"][0] <= 0.09, row


def test_whole_number_differences_give_the_histograms_of_any_others():
    """The |d| histograms of the signed-rank sums: whole-number differences (counted per
    value) and the same differences halved (hash table and sort) rank alike."""
    from evaluation.stats.paired import _abs_histograms

    rng = np.random.default_rng(5)
    d = rng.integers(-6, 7, 500).astype(float)
    g = rng.integers(0, 7, 500)
    whole, halved = _abs_histograms(d, g, 7, 10**6), _abs_histograms(d / 2, g, 7, 10**6)
    assert whole[0].shape == (7, 6)  # |d| in 1..6
    for a, b in zip(whole, halved):
        assert np.array_equal(a, b)


pair_data_with_gaps = st.tuples(pair_data, st.lists(st.sampled_from(["pre", "post", "both", "group", None]),
                                                    min_size=40, max_size=40))


@settings(**PROPS)
@given(pair_data_with_gaps)
def test_every_way_to_the_ranks_and_any_column_type_give_one_table(data):
    """Signed ranks from per-cell |d| histograms and from sorting the complete pairs,
    with groups as text and as categories: one table, to the bit, whatever is missing
    (a pair without both scores still counts in n_pre or n_post)."""
    values, gaps = data
    pairs = _pairs(*values)
    for i, gap in enumerate(gaps[:len(pairs)]):
        if gap in ("pre", "both"):
            pairs.loc[i, "pre"] = np.nan
        if gap in ("post", "both"):
            pairs.loc[i, "post"] = np.nan
        if gap == "group":
            pairs.loc[i, "municipality"] = None
    by_histogram = results_table(pairs, GROUPS2)
    by_sorting = results_table(pairs, GROUPS2, max_histogram_cells=0)
    as_categories = results_table(pairs.astype({"outcome": "category", "municipality": "category",
                                                "variant": "category"}), GROUPS2)
    pd.testing.assert_frame_equal(by_histogram, by_sorting, check_exact=True)
    pd.testing.assert_frame_equal(by_histogram, as_categories, check_exact=True)
    complete = pairs.dropna(subset=["pre", "post"])
    overall = by_histogram[by_histogram["grouping"] == "all"].iloc[0]
    assert overall["n"] == len(complete) and overall["n_pre"] == pairs["pre"].notna().sum()
    if len(complete) > 1:
        assert overall["diff_mean"] == pytest.approx((complete["post"] - complete["pre"]).mean())


def test_no_pairs_give_an_empty_table():
    empty = _pairs([], [], [], []).astype({"pre": float, "post": float})
    assert results_table(empty, GROUPS2).columns.tolist() == RESULT_COLUMNS
    assert results_table(empty, GROUPS2).empty
