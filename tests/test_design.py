"""The design analyses' statistics against R (tests/fixtures/reference/design/, its README
section `design/`): ANCOVA and F (lm/anova), CR2 with Satterthwaite df (clubSandwich),
the REML random-intercept model with Satterthwaite df (lme4 + lmerTest), Welch's t,
Cohen's d with its noncentral-t CI and Hedges' g (effectsize), Cronbach's alpha (psych)
and reliable change (Jacobson & Truax)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation.instruments.reliability import cronbach_alpha
from evaluation.stats import reliable_change as rc
from evaluation.stats.comparison import compare_levels
from evaluation.stats.models import (FactorDesign, ancova_nested, cohens_d, cr2_test, ols, ols_nested,
                                     reml_intercept, welch_test)

REF = Path(__file__).parent / "fixtures" / "reference" / "design"
CLOSED, REML = 1e-6, 1e-5  # relative tolerances of the README (|got - R| <= tol * max(1, |R|))
OUTCOMES = {"sdq_total": "sdq_total", "who5": "who5_total"}
ID = ["outcome", "grouping", "group"]


@pytest.fixture(scope="module")
def export():
    d = pd.read_csv(REF / "export.csv")
    d["wave"] = np.where(d["runde"] == "før", "pre", "post")
    items = [f"who{i}" for i in range(1, 6)]
    d["who5_total"] = np.where(d[items].notna().all(axis=1), 4 * d[items].sum(axis=1), np.nan)
    return d


def wide(d: pd.DataFrame, column: str, id_col: str = "barn_id", person_cols=("familie_id", "kommune", "model"),
         waves=("pre", "post"), wave_col="wave") -> pd.DataFrame:
    w = d[[id_col, *person_cols]].drop_duplicates().copy()
    for name, raw in zip(("pre", "post"), waves):
        s = d[(d[wave_col] == raw) & d[column].notna()].set_index(id_col)[column]
        w[name] = w[id_col].map(s)
    return w


def cells(w: pd.DataFrame, groupings=("kommune", "model", "kommune+model")):
    yield "all", "all", w
    for g in groupings:
        key = w[g.split("+")].astype(str).agg("+".join, axis=1)
        for k in sorted(key.unique()):
            yield g, k, w[key == k]


def check(got: dict, expected: pd.Series, tol: float, where: str) -> None:
    for key, value in got.items():
        if key not in expected.index:
            continue
        want = expected[key]
        if isinstance(want, (bool, np.bool_)):
            assert bool(value) == bool(want), (where, key, value, want)
            continue
        assert pd.isna(value) == pd.isna(want), (where, key, value, want)
        if not pd.isna(want):
            assert abs(value - want) <= tol * max(1.0, abs(want)), (where, key, value, want)


def expected_row(table: pd.DataFrame, **keys) -> pd.Series:
    mask = np.ones(len(table), dtype=bool)
    for k, v in keys.items():
        mask &= (table[k] == v).to_numpy()
    assert mask.sum() == 1, keys
    return table[mask].iloc[0]


def test_mixed_model_matches_lmertest(export):
    expected = pd.read_csv(REF / "expected_lmm.csv")
    seen = 0
    for outcome, column in OUTCOMES.items():
        for grouping, group, x in cells(wide(export, column)):
            e = expected_row(expected, outcome=outcome, grouping=grouping, group=group)
            long = pd.concat([pd.DataFrame({"pid": x["barn_id"], "post": 0.0, "y": x["pre"]}),
                              pd.DataFrame({"pid": x["barn_id"], "post": 1.0, "y": x["post"]})]).dropna()
            pairs = int((x["pre"].notna() & x["post"].notna()).sum())
            assert (len(long), long["pid"].nunique(), pairs) == (e["n_obs"], e["n_persons"], e["n_pairs"])
            if pairs < 2:
                assert pd.isna(e["estimate"])
                continue
            fit = reml_intercept(long["y"].to_numpy(), np.column_stack([np.ones(len(long)), long["post"]]),
                                 long["pid"].to_numpy())
            got = {**fit.test(1), "var_person": fit.var_group, "var_resid": fit.var_resid, "singular": fit.singular}
            check(got, e, REML, f"{outcome} {grouping} {group}")
            seen += 1
    assert seen == len(expected) - expected["estimate"].isna().sum()


def test_clustered_change_matches_clubsandwich_and_lme4(export):
    expected = pd.read_csv(REF / "expected_cluster.csv")
    singular = 0
    for outcome, column in OUTCOMES.items():
        for grouping, group, x in cells(wide(export, column)):
            e = expected_row(expected, outcome=outcome, grouping=grouping, group=group)
            cp = x[x["pre"].notna() & x["post"].notna()]
            change = (cp["post"] - cp["pre"]).to_numpy()
            families = cp["familie_id"].to_numpy()
            k = len(set(families))
            if k >= 2:
                got = cr2_test(ols(change, np.ones((len(change), 1))), families, 0)
                check({f"{a}_cr2": v for a, v in got.items()}, e, CLOSED, f"{outcome} {grouping} {group}")
            else:
                assert pd.isna(e["se_cr2"])
            if 2 <= k < len(change):
                fit = reml_intercept(change, np.ones((len(change), 1)), families)
                check({"var_family": fit.var_group, "var_resid": fit.var_resid, "singular": fit.singular,
                       "icc": fit.var_group / (fit.var_group + fit.var_resid)}, e, REML, f"{outcome} {group}")
                singular += fit.singular
    assert singular == expected["singular"].fillna(False).astype(bool).sum() > 0  # boundary fits included


def test_attrition_matches_welch_and_effectsize(export):
    expected = pd.read_csv(REF / "expected_attrition.csv")
    for outcome, column in OUTCOMES.items():
        for grouping, group, x in cells(wide(export, column)):
            e = expected_row(expected, outcome=outcome, grouping=grouping, group=group)
            x = x[x["pre"].notna()]
            completers, dropouts = x["pre"][x["post"].notna()].to_numpy(), x["pre"][x["post"].isna()].to_numpy()
            welch = welch_test(completers, dropouts)
            got = {f"welch_{k}": v for k, v in welch.items() if k != "diff"}
            got.update(diff=completers.mean() - dropouts.mean() if len(completers) and len(dropouts) else np.nan,
                       **cohens_d(completers, dropouts))
            check(got, e, CLOSED, f"{outcome} {grouping} {group}")


@pytest.mark.parametrize("case", ["variant", "variants"])
def test_group_comparison_matches_lm_anova_and_clubsandwich(export, case):
    expected = pd.read_csv(REF / f"expected_{case}.csv")
    if case == "variant":
        frames = {o: wide(export, c) for o, c in OUTCOMES.items()}
        clusters = "familie_id"
    else:
        d = pd.read_csv(REF / "export_variants.csv")
        frames = {"pss": wide(d, "pss", "id", ("kommune", "model"), ("før", "efter"), "runde")}
        clusters = None
    rename = {"n_level": "n_variant", "change_mean_level": "change_mean_variant",
              "change_sd_level": "change_sd_variant", "post_sd_level": "post_sd_variant"}
    checked = 0
    for outcome, w in frames.items():
        levels = ["individuel", *sorted(set(w["model"]) - {"individuel"})]  # configured reference first
        for grouping, group, x in cells(w, ("kommune",)):
            cp = x[x["pre"].notna() & x["post"].notna()]
            rows = compare_levels(cp, "model", "individuel", levels, adjust=["kommune"] if grouping == "all" else [],
                                  clusters=clusters)
            for level, row in zip(levels[1:], rows):
                e = expected_row(expected, outcome=outcome, grouping=grouping, group=group, variant=level)
                got = {rename.get(k, k.replace("ancova_adj", "ancova_muni").replace("g_wwc_ancova_adj",
                                                                                     "g_wwc_ancova_muni")): v
                       for k, v in row.items()}
                if clusters is None:
                    got = {k: v for k, v in got.items() if "cr2" not in k and k != "n_clusters"}
                assert set(e.index) - {"outcome", "grouping", "group", "variant", "reference"} <= set(got)
                check(got, e, CLOSED, f"{outcome} {group} {level}")
                checked += 1
    assert checked == len(expected)


def test_aliased_level_is_empty_never_split():
    d = pd.read_csv(REF / "export_variants.csv")
    w = wide(d, "pss", "id", ("kommune", "model"), ("før", "efter"), "runde")
    cp = w[w["pre"].notna() & w["post"].notna()]
    levels = ["individuel", "gruppe", "kombineret", "online"]
    rows = dict(zip(levels[1:], compare_levels(cp, "model", "individuel", levels, adjust=["kommune"])))
    assert np.isnan(rows["online"]["ancova_adj_diff"]) and not np.isnan(rows["online"]["ancova_diff"])
    assert rows["online"]["ancova_adj_f_df1"] == 2 and rows["online"]["ancova_f_df1"] == 3


def test_reliable_change_matches_jacobson_truax(export):
    persons = pd.read_csv(REF / "expected_rci_persons.csv")
    table = pd.read_csv(REF / "expected_rci.csv")
    items = [f"who{i}" for i in range(1, 6)]
    base = export[export["wave"] == "pre"][items].dropna().to_numpy(dtype=float)
    alpha = cronbach_alpha(base)
    ref_alpha = pd.read_csv(REF / "expected_reliability.csv").iloc[0]
    assert len(base) == ref_alpha["n"] and abs(alpha - ref_alpha["alpha"]) <= CLOSED
    spec = {"sdq_total": ("lower", 0.80, 13), "who5": ("higher", alpha, 50)}
    for outcome, column in OUTCOMES.items():
        better, reliability, cutoff = spec[outcome]
        w = wide(export, column)
        w = w[w["pre"].notna() & w["post"].notna()]
        sd_pre = w["pre"].std(ddof=1)
        s = rc.s_diff(sd_pre, reliability)
        out = rc.classify(w["pre"].to_numpy(), w["post"].to_numpy(), s, better, cutoff)
        want = persons[persons["outcome"] == outcome].set_index("barn_id").loc[w["barn_id"]]
        assert (out["category"] == want["category"].to_numpy()).all()
        assert np.allclose(out["rci"], want["rci"].to_numpy(), rtol=CLOSED, atol=CLOSED)
        w = w.assign(**{k: out[k] for k in ("improved", "deteriorated", "recovered", "dysfunctional_pre")})
        for grouping, group, x in cells(w):
            e = expected_row(table, outcome=outcome, grouping=grouping, group=group)
            n = len(x)
            counts = {"n": n, "n_improved": int(x["improved"].sum()), "n_deteriorated": int(x["deteriorated"].sum()),
                      "n_unchanged": int((~x["improved"] & ~x["deteriorated"]).sum()),
                      "n_recovered": int(x["recovered"].sum()),
                      "n_dysfunctional_pre": int(x["dysfunctional_pre"].sum())}
            for k, v in counts.items():
                assert v == e[k], (outcome, group, k)
            check({"sd_pre": sd_pre, "s_diff": s, "rc_points": 1.96 * s, "reliability": reliability}, e, CLOSED, group)


# ------------------------------------------------------------------ invariants
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_relabelling_levels_flips_the_comparison(seed):
    rng = np.random.default_rng(seed)
    n = 24
    cp = pd.DataFrame({"pre": rng.normal(20, 4, n).round(), "variant": np.repeat(["a", "b"], n // 2),
                       "family": np.repeat(np.arange(n // 2), 2).astype(str)})
    cp["post"] = cp["pre"] + rng.normal(-1, 3, n).round() - 2 * (cp["variant"] == "b")
    ab = compare_levels(cp, "variant", "a", ["a", "b"], clusters="family")[0]
    ba = compare_levels(cp, "variant", "b", ["b", "a"], clusters="family")[0]
    for k in ("ancova_diff", "ancova_t", "ancova_cr2_t", "welch_diff", "g_wwc_ancova", "g_dd"):
        assert ab[k] == pytest.approx(-ba[k], rel=1e-9, abs=1e-12), k
    for k in ("ancova_p", "ancova_cr2_p", "ancova_cr2_df", "welch_p", "ancova_f_F"):
        assert ab[k] == pytest.approx(ba[k], rel=1e-9), k


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["higher", "lower"]))
def test_swapping_waves_swaps_improved_and_deteriorated(seed, better):
    rng = np.random.default_rng(seed)
    pre, post = rng.normal(20, 5, 60).round(), rng.normal(20, 5, 60).round()
    forward = rc.classify(pre, post, 3.0, better)
    backward = rc.classify(post, pre, 3.0, better)
    assert (forward["improved"] == backward["deteriorated"]).all()
    assert (forward["deteriorated"] == backward["improved"]).all()
    counts = pd.Series(forward["category"]).value_counts()
    assert counts.sum() == len(pre)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 100_000))
def test_compressed_ancova_and_its_cr2_equal_the_fit_of_all_rows(seed):
    """ancova_nested (two rows per combination of levels) and the CR2 of its few
    entries per row are the dense lm and cr2_test, aliased columns included."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 200))
    k1, k2 = int(rng.integers(1, 6)), int(rng.integers(2, 4))
    c1 = rng.integers(0, k1, n)
    c2 = c1 % k2 if seed % 5 == 0 else rng.integers(0, k2, n)  # aliased with the first factor
    pre = np.full(n, 50.0) if seed % 7 == 0 else rng.normal(50, 10, n).round()
    y = pre + rng.normal(0, 5, n) + c2
    design = FactorDesign(pre, [c1, c2], [k1, k2])
    dense = ols_nested(y, design.dense(), design.width(1))
    compressed = ancova_nested(y, design, 1)
    for a, b in zip(dense, compressed):
        assert (a.aliased == b.aliased).all() and a.df_resid == b.df_resid
        np.testing.assert_allclose(b.coef, a.coef, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(b.se, a.se, rtol=1e-8)
        assert b.rss == pytest.approx(a.rss, rel=1e-9, abs=1e-9)
    families = rng.integers(0, max(2, n // 2), n)
    column = design.width() - 1
    want, got = cr2_test(dense[1], families, column), cr2_test(compressed[1], families, column)
    np.testing.assert_allclose(list(got.values()), list(want.values()), rtol=1e-7)


def test_one_family_group_gets_no_cluster_robust_test():
    cp = pd.DataFrame({"pre": [10., 11, 12, 13, 14, 15], "post": [9., 10, 13, 10, 11, 12],
                       "variant": ["a", "a", "a", "b", "b", "b"], "family": ["1", "2", "3", "4", "4", "4"]})
    row = compare_levels(cp, "variant", "a", ["a", "b"], clusters="family")[0]
    assert np.isnan(row["ancova_cr2_se"]) and not np.isnan(row["ancova_se"])


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="between 0 and 1"):
        rc.s_diff(5.0, 80)
    with pytest.raises(ValueError, match="higher"):
        rc.classify(np.ones(2), np.ones(2), 1.0, "up")


# ------------------------------------------------------- through the analyses
def design_spec() -> dict:
    """The config that reads the design reference's export.csv (its README)."""
    return {
        "title": "design reference",
        "exports": [{"path": str(REF / "export.csv")}],
        "columns": {"id": "barn_id", "wave": "runde", "family": "familie_id"},
        "waves": {"pre": ["før"], "post": ["efter"]},
        "groups": {"municipality": {"column": "kommune"}, "variant": {"column": "model", "reference": "individuel"}},
        "compare": {"variant": {"adjust": ["municipality"]}},
        "instruments": {"sdq_total": {"items": ["sdq_total"], "range": [0, 40], "score": "sum"},
                        "who5": {"builtin": "who5", "items": [f"who{i}" for i in range(1, 6)]}},
        "outcomes": {"sdq_total": {"instrument": "sdq_total", "scale": "total", "better": "lower",
                                   "reliability": 0.80, "clinical_cutoff": 13},
                     "who5": {"instrument": "who5", "scale": "total", "better": "higher", "reliability": "alpha",
                              "clinical_cutoff": 50}},
        "groupings": [["municipality"], ["variant"], ["municipality", "variant"]],
    }


@pytest.fixture(scope="module")
def design_run():
    """The reference export through ingest, scoring and every design analysis."""
    from conftest import make_study

    import evaluation as ev
    from evaluation import analyses
    from evaluation.ingest import ingest_study

    study = make_study(design_spec(), study_id="design")
    ingested = ingest_study(study, b"k")
    scores = ev.score(study, ingested)
    data = analyses.Data(scores=scores, pairs=ev.measure(study, scores), responses=ingested.responses)
    return study, data


GROUPING = {"all": "all", "kommune": "municipality", "model": "variant", "kommune+model": "municipality+variant"}


def compare_table(got: pd.DataFrame, expected: pd.DataFrame, keys: list[str], rename: dict[str, str] = {},
                  reml: tuple[str, ...] = ()) -> None:
    expected = expected.rename(columns=rename).assign(grouping=lambda e: e["grouping"].map(GROUPING))
    assert (got["from_wave"] == "pre").all() and (got["to_wave"] == "post").all()
    merged = expected.merge(got, on=keys, how="left", suffixes=("", "_got"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", keys]
    assert len(got) == len(expected)
    for column in expected.columns:
        if column in keys or f"{column}_got" not in merged:
            continue
        want, have = merged[column], merged[f"{column}_got"]
        textual = not pd.api.types.is_numeric_dtype(want) or want.dtype == bool or have.dtype == bool
        if textual or column == "singular":
            ok = want.isna() & have.isna() | (want.astype(str).str.lower() == have.astype(str).str.lower())
            assert ok.all(), (column, merged.loc[~ok, keys])
            continue
        want, have = want.astype(float), have.astype(float)
        assert (want.isna() == have.isna()).all(), (column, merged.loc[want.isna() != have.isna(), keys])
        tol = REML if column in reml else CLOSED
        off = (want - have).abs() > tol * np.maximum(1.0, want.abs())
        assert not off.any(), (column, merged.loc[off, [*keys, column, f"{column}_got"]])


def test_group_comparison_table_reproduces_r(design_run):
    from evaluation.analyses import group_comparison

    study, data = design_run
    got = group_comparison.compute(data, study)
    rename = {"variant": "level", **{c: c.replace("ancova_muni", "ancova_adj") for c in
                                     pd.read_csv(REF / "expected_variant.csv").columns if "muni" in c}}
    rename["g_wwc_ancova_muni"] = "g_wwc_ancova_adj"
    expected = pd.read_csv(REF / "expected_variant.csv")
    # R writes a row for a level absent from the cell (Halsnæs runs no gruppe): n_variant 0, no estimate
    assert (expected["n_variant"] == 0).any()
    compare_table(got, expected, ["outcome", "grouping", "group", "level"], rename)
    assert (got["compared"] == "variant").all() and (got["reference"] == "individuel").all()


def test_clustered_mixed_attrition_and_reliable_change_tables_reproduce_r(design_run):
    from evaluation.analyses import attrition, clustered_change, mixed_model, reliable_change

    study, data = design_run
    keys = ["outcome", "grouping", "group"]
    reml_cluster = ("var_family", "var_resid", "icc", "deff", "n_eff")
    compare_table(clustered_change.compute(data, study), pd.read_csv(REF / "expected_cluster.csv"), keys,
                  reml=reml_cluster)
    lmm = pd.read_csv(REF / "expected_lmm.csv")
    compare_table(mixed_model.compute(data, study), lmm, keys, reml=tuple(lmm.columns))
    expected = pd.read_csv(REF / "expected_attrition.csv").drop(columns=["d_ci_low_effectsize",
                                                                        "d_ci_high_effectsize"])
    compare_table(attrition.compute(data, study), expected, keys)
    compare_table(reliable_change.compute(data, study), pd.read_csv(REF / "expected_rci.csv"), keys)


def test_reliable_change_persons_reproduce_r(design_run):
    import hashlib
    import hmac

    from evaluation.analyses import reliable_change

    study, data = design_run
    got = reliable_change.persons(data, study)
    want = pd.read_csv(REF / "expected_rci_persons.csv")
    want["pid"] = [hmac.new(b"k", v.encode(), hashlib.sha256).hexdigest()[:16] for v in want["barn_id"]]
    merged = want.merge(got, on=["pid", "outcome"], suffixes=("", "_got"))
    assert len(merged) == len(want) == len(got)
    assert (merged["category"] == merged["category_got"]).all()
    assert np.allclose(merged["rci"], merged["rci_got"], rtol=CLOSED, atol=CLOSED)
    assert list(got.columns) == ["pid", "outcome", "from_wave", "to_wave", "pre", "post", "rci", "category"]


def test_a_study_without_families_gets_no_clustered_table_and_no_error(design_run):
    """Without columns.family the clustered analysis does not apply (an empty table with
    its columns in the workflow), group comparisons carry no CR2 columns, and nothing fails."""
    from conftest import make_study

    from evaluation.analyses import clustered_change, group_comparison

    spec = design_spec()
    del spec["columns"]["family"]
    study = make_study(spec, study_id="design")
    _, data = design_run
    assert not clustered_change.applies(study)
    table = group_comparison.compute(data.__class__(pairs=data.pairs.drop(columns=["family"])), study)
    assert len(table) and not [c for c in table.columns if "cr2" in c or c == "n_clusters"]
    assert list(table.columns) == group_comparison.columns(study)


def test_reliable_change_classes_add_up_to_n(design_run):
    from evaluation.analyses import reliable_change

    study, data = design_run
    table = reliable_change.compute(data, study)
    assert len(table) and (table["n_improved"] + table["n_unchanged"] + table["n_deteriorated"] == table["n"]).all()
    assert (table["n_recovered"] <= table["n_improved"]).all()
    shares = table[[f"share_{k}" for k in ("improved", "unchanged", "deteriorated")]].sum(axis=1)
    assert np.allclose(shares, 1.0)
