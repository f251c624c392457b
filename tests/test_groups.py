"""Several waves and contrasts, subgroups of any kind, include filters and missing-answer
codes (CONTRACT v2 sections 2 and 4), against shared/reference/waves: every value of its
expected files, all three contrasts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REFERENCE, make_study
from evaluation import measures
from evaluation.ingest import InvalidInputError, ingest_study
from evaluation.instruments import score_responses
from evaluation.stats import RESULT_COLUMNS, results_table

WAVES = REFERENCE / "waves"
KEYS = ["outcome", "from_wave", "to_wave", "grouping", "group"]
NUMERIC = [c for c in RESULT_COLUMNS if c not in (*KEYS, "suppressed")]


def reference_spec(tmp_path=None) -> dict:
    spec = yaml.safe_load((WAVES / "config.yaml").read_text(encoding="utf-8"))["studies"]["waves"]
    spec["exports"] = [{"path": str(WAVES / "export.csv")}]
    return spec


def first_contrast_spec(tmp_path) -> dict:
    """The reference without its follow-up rows, as a two-wave (v1-style) study."""
    export = pd.read_csv(WAVES / "export.csv", dtype=str, keep_default_na=False)
    export[export["runde"] != "opfølgning"].to_csv(tmp_path / "export.csv", index=False)
    spec = reference_spec()
    spec["exports"] = [{"path": str(tmp_path / "export.csv")}]
    spec["waves"] = {"pre": ["før"], "post": ["efter"]}
    del spec["contrasts"]
    return spec


@pytest.fixture(scope="module")
def reference():
    study = make_study(reference_spec(), study_id="waves")
    ingested = ingest_study(study, b"k")
    scores = score_responses(ingested.responses, study.instruments, ["pid", "wave", *study.group_columns])
    pairs = measures.complete_pairs(scores, study.outcomes, study.group_columns, study.contrasts)
    results = results_table(pairs, study.groupings, ci_level=0.95, correction="holm", min_n=5)
    return study, ingested, results


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return pd.read_csv(WAVES / "expected.csv")


def test_waves_keep_the_configs_order_and_default_contrasts_start_at_the_first():
    study = make_study(reference_spec(), study_id="waves")
    assert study.waves == ["foer", "efter", "opfoelgning"]  # never sorted (efter < foer)
    spec = reference_spec()
    del spec["contrasts"]
    assert make_study(spec, study_id="waves").contrasts == [("foer", "efter"), ("foer", "opfoelgning")]


def test_every_cell_of_every_contrast_is_present(reference, expected):
    _, _, results = reference
    assert len(results) == len(expected) == 135
    assert set(map(tuple, results[KEYS].to_numpy())) == set(map(tuple, expected[KEYS].to_numpy()))
    assert list(dict.fromkeys(zip(results.from_wave, results.to_wave))) == [
        ("foer", "efter"), ("foer", "opfoelgning"), ("efter", "opfoelgning")]
    assert set(results.loc[results.grouping == "alder", "group"]) == {"under 10", "10-13", "14 og derover"}


@pytest.mark.parametrize("column", NUMERIC)
def test_every_value_equals_r(reference, expected, column):
    _, _, results = reference
    m = expected.merge(results, on=KEYS, suffixes=("_r", "_py"))
    assert len(m) == 135
    want, got = m[f"{column}_r"].astype(float).to_numpy(), m[f"{column}_py"].astype(float).to_numpy()
    if column in ("n", "n_pre", "n_post", "df", "wilcoxon_v"):
        close = (got == want) | (np.isnan(got) & np.isnan(want))
    else:
        close = np.isclose(got, want, rtol=1e-6, atol=0) | (np.isnan(got) & np.isnan(want))
    assert close.all(), m.loc[~close, [*KEYS, f"{column}_r", f"{column}_py"]]


def test_small_cells_are_flagged_as_r(reference, expected):
    _, _, results = reference
    m = expected.merge(results, on=KEYS)
    assert (m["suppressed"] == m["suppressed_primary"]).all() and m["suppressed"].sum() == 12


def test_pre_and_post_belong_to_the_contrast(reference):
    """In [efter, opfoelgning] n_pre counts the valid efter scores, the same number
    as n_post of [foer, efter]."""
    _, _, results = reference
    r = results[(results.grouping == "all")].set_index(["outcome", "from_wave", "to_wave"])
    for outcome in ("sdq_total", "kidscreen", "trivsel"):
        assert r.at[(outcome, "efter", "opfoelgning"), "n_pre"] == r.at[(outcome, "foer", "efter"), "n_post"]
        assert r.at[(outcome, "efter", "opfoelgning"), "pre_mean"] == pytest.approx(
            r.at[(outcome, "efter", "opfoelgning"), "pre_mean"])


def test_flow_counts_equal_the_reference(reference):
    _, ingested, _ = reference
    counts = pd.read_csv(WAVES / "expected_flow_counts.csv").set_index("what")
    flow, people = ingested.flow, ingested.people
    assert len(flow) == counts.at["input", "rows"] and flow["pid"].nunique() == counts.at["input", "people"]
    left_out = flow[flow["status"] == "not_included"]
    assert len(left_out) == counts.at["not_included", "rows"]
    assert left_out["pid"].nunique() == counts.at["not_included", "people"]
    included = flow[flow["status"] == "answered"]
    assert len(included) == counts.at["included", "rows"]
    assert included["pid"].nunique() == counts.at["included", "people"] == int(people["included"].sum())
    assert ingested.missing_codes == {"who": counts.at["ved_ikke_all", "answers"]}


def test_flow_table_counts_every_wave_and_contrast(reference):
    study, ingested, _ = reference
    people = measures.participation(ingested.flow, ingested.people, study.waves)
    table = measures.flow_table(people, study.groupings, 0, study.waves, study.contrasts)
    overall = table.iloc[0]
    # the README's table of answered waves: 100 all three, 20 foer+efter, 17 foer only, ...
    inc = people[people["included"]]
    assert overall["enrolled"] == 160 and overall["not_included"] == 20
    assert overall["answered_foer"] == inc["answered_foer"].sum()
    assert overall["complete_foer_opfoelgning"] == (inc["answered_foer"] & inc["answered_opfoelgning"]).sum()
    assert list(table.columns[2:10]) == measures.flow_count_columns(study.waves, study.contrasts)


def test_include_leaves_out_every_row_of_a_child(reference):
    _, ingested, _ = reference
    flow = ingested.flow
    left_out = flow[flow["status"] == "not_included"]
    assert left_out["pid"].nunique() == 20  # 17 by age, 3 without consent (one only in efter/opfølgning)
    assert not set(left_out["pid"]) & set(flow.loc[flow["status"] == "answered", "pid"])
    assert set(left_out["pid"]) == set(ingested.people.loc[~ingested.people["included"], "pid"])


def test_ved_ikke_is_missing_and_counted_not_invalid(reference):
    _, ingested, _ = reference
    assert ingested.issues.empty
    assert "given as a missing-answer code" in " ".join(ingested.notes)


def test_without_the_code_ved_ikke_is_invalid(tmp_path):
    spec = first_contrast_spec(tmp_path)
    del spec["missing"]
    with pytest.raises(InvalidInputError, match="value 'Ved ikke' — not a valid answer for who"):
        ingest_study(make_study(spec, study_id="waves"), b"k")


def test_an_instruments_own_missing_replaces_the_studys(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id;runde;k1;k2\nA;før;9;2\nA;efter;3;Ved ikke\n", encoding="utf-8")
    spec = {"title": "t", "exports": [{"path": str(path)}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]}, "missing": ["Ved ikke"],
            "instruments": {"own": {"items": ["k1", "k2"], "range": [1, 9], "score": "sum", "missing": [9]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    with pytest.raises(InvalidInputError, match="value 'Ved ikke'"):  # the study's code no longer applies
        ingest_study(make_study(spec), b"k")
    spec["instruments"]["own"]["missing"] = [9, "ved ikke"]
    result = ingest_study(make_study(spec), b"k")
    k1 = result.responses.set_index("wave")["k1"]
    assert np.isnan(k1["pre"]) and k1["post"] == 3 and result.missing_codes == {"own": 2}


def test_group_value_is_the_one_at_the_first_answered_wave(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id;runde;by;k1\nA;efter;Vejle;2\nA;før;Aarhus;1\nB;før;Vejle;1\nB;efter;Vejle;2\n",
                    encoding="utf-8")
    spec = {"title": "t", "exports": [{"path": str(path)}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]}, "groups": {"by": {"column": "by"}},
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}},
            "groupings": [["by"]]}
    result = ingest_study(make_study(spec), b"k")
    assert sorted(result.people["by"]) == ["Aarhus", "Vejle"]
    assert set(result.responses.groupby("pid")["by"].nunique()) == {1}
    assert any("another by at a later wave" in n for n in result.notes) and result.issues.empty


def config_problems(spec: dict, study_id: str = "s") -> str:
    """Every problem the config check finds in one study, one per line."""
    from evaluation.config import ConfigError, validate_config

    with pytest.raises(ConfigError) as info:
        validate_config({"studies": {study_id: spec}})
    return "\n".join(info.value.problems)


def test_group_config_errors_name_the_key():
    spec = {"title": "t", "exports": [{"path": "e.csv"}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]},
            "groups": {"alder": {"column": "age", "bins": [0, 10, 5], "labels": ["a"]},
                       "koen": {"column": "sex", "expected": ["pige", "dreng"], "reference": "andet"}},
            "include": {"samtykke": ["ja"]}, "groupings": [["alder"], ["region"]],
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    text = config_problems(spec)
    assert "studies.s.groups.alder.bins: [0, 10, 5] must be finite and increasing" in text
    assert "studies.s.groups.alder.labels: give 2 labels, one per bin" in text
    assert "studies.s.groups.koen.reference: 'andet' is not one of pige, dreng" in text
    assert "studies.s.include.samtykke: 'samtykke' is not a group" in text
    assert "studies.s.groupings[1]: 'region' is not a group" in text


def test_a_value_outside_every_bin_is_invalid(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("id;runde;alder;k1\nA;før;12;1\nA;efter;12;2\nB;før;tolv;1\nC;før;30;1\n", encoding="utf-8")
    spec = {"title": "t", "exports": [{"path": str(path)}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"pre": ["før"], "post": ["efter"]},
            "groups": {"alder": {"column": "alder", "bins": [0, 10, 18], "labels": ["0-9", "10-17"]}},
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    with pytest.raises(InvalidInputError) as info:
        ingest_study(make_study(spec), b"k")
    messages = [p.message() for p in info.value.problems]
    assert [m.split(", ", 1)[1] for m in messages] == [
        "line 4, column 'alder': value 'tolv' — not a number in the bins of alder ([0, 18))",
        "line 5, column 'alder': value '30' — not a number in the bins of alder ([0, 18))"]


def test_the_whole_pipeline_publishes_the_reference_study(tmp_path):
    """Every stage on the three-wave reference: tables per contrast, protected together
    (the independent attacker of test_disclosure finds nothing), the missing-code count
    in the report."""
    from conftest import run_stages
    from test_disclosure import Attack

    study = make_study(reference_spec(), study_id="waves")
    report = run_stages(study, tmp_path)
    flow = pd.read_csv(report / "tables/participant_flow.csv")
    assert list(flow.columns[2:10]) == measures.flow_count_columns(study.waves, study.contrasts)
    results = pd.read_csv(report / "tables/results.csv")
    assert len(results) == 135 and results.loc[results["n"].notna(), "n"].min() >= 5
    bands = pd.read_csv(report / "tables/band_shares.csv")
    assert set(zip(bands.from_wave, bands.to_wave)) == set(study.contrasts)
    people = pd.read_parquet(tmp_path / "data/processed/waves/people.parquet")
    columns = [c for c in study.groups if any(c in g for g in study.groupings)]
    found = Attack(results, flow, bands, columns, study.groupings, list(study.outcomes), 5,
                   [c for c in columns if people[c].isna().any()], include=True, waves=study.waves,
                   contrasts=study.contrasts).derived_small()
    assert not found, found[:5]
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "svar var en kode for manglende svar (\u201cVed ikke\u201d)" in html
    assert "Kommune og køn" in html and "Alder: 14 og derover" in html
    assert "Før \u2192 Opfølgning" in html  # wave names from the config's values


def test_a_wide_export_with_three_suffixes_gives_the_same_results(tmp_path, reference):
    """The reference as one row per child, items suffixed _1/_2/_3: the same 135 rows."""
    _, _, long_results = reference
    long = pd.read_csv(WAVES / "export.csv", dtype=str, keep_default_na=False)
    items = ["sdq_total", "kidscreen", "who1", "who2", "who3", "who4", "who5"]
    order = {"før": 0, "efter": 1, "opfølgning": 2}
    long = long.assign(_o=long["runde"].map(order)).sort_values(["id", "_o"])
    wide = long.drop_duplicates("id")[["id", "kommune", "køn", "alder", "samtykke"]].set_index("id")
    for value, suffix in (("før", "_1"), ("efter", "_2"), ("opfølgning", "_3")):
        part = long[long["runde"] == value].set_index("id")[items]
        wide = wide.join(part.add_suffix(suffix))
    wide.fillna("").reset_index().to_csv(tmp_path / "wide.csv", index=False)
    spec = reference_spec()
    spec["exports"] = [{"path": str(tmp_path / "wide.csv"),
                        "wide": {"foer": "_1", "efter": "_2", "opfoelgning": "_3"}}]
    del spec["columns"]["wave"]
    study = make_study(spec, study_id="waves")
    ingested = ingest_study(study, b"k")
    scores = score_responses(ingested.responses, study.instruments, ["pid", "wave", *study.group_columns])
    pairs = measures.complete_pairs(scores, study.outcomes, study.group_columns, study.contrasts)
    results = results_table(pairs, study.groupings)
    pd.testing.assert_frame_equal(results, long_results)
    assert (ingested.flow["status"] == "no_answer").sum() == 3 * 160 - 398  # a wave block nobody answered


def test_a_baseline_band_group_is_the_band_at_the_first_wave():
    """`start: {baseline_band: trivsel}`: each child's WHO-5 band at foer; the results of
    the grouping equal the reference rows restricted to the children of each band."""
    spec = reference_spec()
    spec["groups"]["start"] = {"baseline_band": "trivsel", "label": {"da": "Trivsel ved start", "en": "Start"}}
    spec["groupings"] = [["start"]]
    study = make_study(spec, study_id="waves")
    assert study.person_columns[-1] == "start" and "start" not in study.group_columns
    ingested = ingest_study(study, b"k")
    scored = score_responses(ingested.responses, study.instruments, ["pid", "wave", *study.group_columns])
    scores = measures.with_baseline_bands(scored, scored, study)
    pairs = measures.complete_pairs(scores, study.outcomes, study.person_columns, study.contrasts)
    results = results_table(pairs, study.groupings)
    who = scores[(scores.instrument == "who") & (scores.scale == "total")]
    start = who[who.wave == "foer"].dropna(subset=["band"]).set_index("pid")["band"]
    assert set(results.loc[results.grouping == "start", "group"]) == set(start)
    for band in set(start):
        members = set(start.index[start == band])
        for outcome in study.outcomes:
            p = pairs[(pairs.outcome == outcome) & (pairs.from_wave == "foer") & (pairs.to_wave == "efter")]
            p = p[p.pid.isin(members)]
            row = results[(results.outcome == outcome) & (results.from_wave == "foer") & (results.to_wave == "efter")
                          & (results.grouping == "start") & (results.group == band)]
            assert int(row["n"].iloc[0]) == int((p.pre.notna() & p.post.notna()).sum())
            d = (p.post - p.pre).dropna()
            assert row["diff_mean"].iloc[0] == pytest.approx(d.mean(), rel=1e-12)


def test_baseline_band_config_errors_name_the_key():
    spec = reference_spec()
    spec["groups"]["a"] = {"baseline_band": "nothing"}
    spec["groups"]["b"] = {"baseline_band": "sdq_total"}
    spec["groups"]["c"] = {"baseline_band": "trivsel", "bins": [0, 1], "labels": ["x"]}
    spec["include"]["c"] = ["x"]
    spec["instruments"]["sdq_items"] = {"builtin": "sdq_parent", "items": [f"s{k}" for k in range(1, 26)]}
    spec["outcomes"]["external"] = {"instrument": "sdq_items", "scale": "externalising", "better": "lower"}
    spec["groups"]["d"] = {"baseline_band": "external"}  # externalising has no cut-offs
    text = config_problems(spec, "waves")
    assert "groups.d.baseline_band: outcome 'external' has no bands" in text
    assert "groups.a.baseline_band: 'nothing' is not an outcome" in text
    assert "groups.b.baseline_band: outcome 'sdq_total' has no bands" in text
    assert "groups.c.bins: a baseline_band group's values are the outcome's bands" in text
    assert "include.c: a baseline_band group is known only after scoring" in text
