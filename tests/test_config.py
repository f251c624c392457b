"""Config validation: the demo config is valid, and mistakes name the key and what is allowed."""
from __future__ import annotations

import copy

import pytest
import yaml

from conftest import REPO
from evaluation.config import ConfigError, Study, load_config, validate_config


@pytest.fixture
def demo() -> dict:
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))


def problems(cfg: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(cfg)
    return "\n".join(info.value.problems)


def test_demo_config_is_valid_and_gets_defaults(demo):
    cfg = load_config(REPO / "config" / "config.yaml")
    assert set(cfg["studies"]) == {"parents", "fosterfamilies"}
    del demo["analysis"]
    cfg = validate_config(demo)
    assert cfg["analysis"] == {"ci_level": 0.95, "correction": "holm", "min_n": 5, "on_invalid": "stop",
                               "reliable_change_z": 1.96, "headline_effect": "g_av", "figures": {"svg": False}}
    study = Study.from_config(cfg, "fosterfamilies")
    assert study.groupings == [[], ["municipality"], ["variant"], ["municipality", "variant"], ["sex"], ["age"]]
    assert study.waves == ["pre", "post", "followup"]
    assert study.contrasts == [("pre", "post"), ("pre", "followup")]


def test_unknown_key_is_named_with_the_allowed_keys(demo):
    demo["studies"]["parents"]["colums"] = demo["studies"]["parents"].pop("columns")
    text = problems(demo)
    assert "studies.parents: unknown key 'colums'" in text
    assert "columns" in text and "'columns' is a required property" in text


def test_bad_enum_says_what_is_allowed(demo):
    demo["studies"]["parents"]["language"] = "de"
    demo["analysis"]["correction"] = "sidak"
    text = problems(demo)
    assert "studies.parents.language: 'de' is not allowed; use one of 'da', 'en'" in text
    assert "analysis.correction: 'sidak' is not allowed" in text and "'holm'" in text


def test_bad_study_id(demo):
    demo["studies"]["Parents-2"] = demo["studies"].pop("parents")
    assert "Parents-2" in problems(demo)


def test_outcome_scale_must_exist(demo):
    demo["studies"]["parents"]["outcomes"]["parent_wellbeing"]["scale"] = "efficacy"
    text = problems(demo)
    assert "studies.parents.outcomes.parent_wellbeing.scale: 'efficacy' is not a scale of who5; use one of total" in text


def test_outcome_instrument_must_exist(demo):
    demo["studies"]["parents"]["outcomes"]["parent_wellbeing"]["instrument"] = "who"
    assert "'who' is not defined" in problems(demo)


def test_builtin_item_count(demo):
    demo["studies"]["parents"]["instruments"]["who5"]["items"].pop()
    assert "who5 has 5 items in the official order; 4 given" in problems(demo)


def test_wave_column_required_unless_every_export_sets_a_wave(demo):
    del demo["studies"]["fosterfamilies"]["columns"]["wave"]
    assert "'wave' is required unless every export sets 'wave:'" in problems(demo)


def test_grouping_needs_a_mapped_column(demo):
    demo["studies"]["parents"]["groupings"].append(["variant"])
    assert "'variant' is not a group; add it under groups" in problems(demo)


def test_custom_instrument_checks(demo):
    study = demo["studies"]["parents"]
    study["instruments"]["own"] = {"items": ["k1", "k2"], "range": [5, 1], "reverse": ["k9"],
                                   "labels": {"Enig": 7}}
    text = problems(demo)
    assert "range: [5, 1] must be [min, max]" in text
    assert "'k9' is not one of the instrument's items" in text
    assert "'Enig' maps to 7, outside range" in text


def test_custom_instrument_without_range_is_explained(demo):
    demo["studies"]["parents"]["instruments"]["own"] = {"items": ["k1"]}
    assert "a custom instrument needs 'range'" in problems(demo)


def test_export_format_is_checked(demo):
    demo["studies"]["parents"]["exports"][0]["path"] = "data/raw/x.txt"
    assert "unknown format" in problems(demo)


def test_validation_does_not_change_the_input(demo):
    before = copy.deepcopy(demo)
    validate_config(demo)
    assert demo == before


def test_yaml_error_names_the_file(tmp_path):
    bad = tmp_path / "config.yaml"
    bad.write_text("studies: [unclosed\n")
    with pytest.raises(ConfigError, match="config.yaml is invalid"):
        load_config(bad)


# ------------------------------------------------------------------ waves and contrasts
def waves_study(**changes) -> dict:
    spec = {"title": "t", "exports": [{"path": "e.csv"}], "columns": {"id": "id", "wave": "runde"},
            "waves": {"foer": ["før"], "efter": ["efter"], "opfoelgning": ["opfølgning"]},
            "instruments": {"own": {"items": ["k1"], "range": [1, 5]}},
            "outcomes": {"o": {"instrument": "own", "scale": "total", "better": "higher"}}}
    spec.update(changes)
    return {"studies": {"s": spec}}


def test_contrasts_default_to_the_first_wave_against_each_later_one():
    study = Study.from_config(validate_config(waves_study()), "s")
    assert study.waves == ["foer", "efter", "opfoelgning"]
    assert study.contrasts == [("foer", "efter"), ("foer", "opfoelgning")]


def test_a_reversed_or_unknown_contrast_is_a_config_error():
    text = problems(waves_study(contrasts=[["efter", "foer"], ["foer", "slut"], ["foer", "foer"],
                                           ["foer", "efter"], ["foer", "efter"]]))
    assert "studies.s.contrasts[0]: [efter, foer] is reversed; a contrast is [earlier, later]" in text
    assert "write [foer, efter]" in text
    assert "studies.s.contrasts[1]: 'slut' is not a wave; waves: foer, efter, opfoelgning" in text
    assert "studies.s.contrasts[2]: compares 'foer' with itself" in text
    assert "studies.s.contrasts[4]: [foer, efter] is given twice" in text


def test_wave_values_and_export_waves_are_checked():
    text = problems(waves_study(waves={"foer": ["1", "Før"], "efter": [" før "]},
                                exports=[{"path": "a.csv", "wave": "slut"},
                                         {"path": "b.csv", "wide": {"foer": "_1", "midt": "_2"}}]))
    assert "studies.s.waves.efter: ' før ' is also a value of wave 'foer'" in text
    assert "studies.s.exports[0]: wave 'slut' is not one of the study's waves (foer, efter)" in text
    assert "studies.s.exports[1]: wave 'midt' is not one of the study's waves" in text
    assert "studies.s.waves: unknown" not in text
    one = problems(waves_study(waves={"foer": ["1"]}))
    assert "should be non-empty" in one or "does not have enough properties" in one


def test_a_wave_with_no_values_needs_an_export_that_delivers_it():
    text = problems(waves_study(waves={"foer": ["1"], "efter": ["2"], "opfoelgning": []}))
    assert "studies.s.waves.opfoelgning: no values, and no export sets 'wave: opfoelgning'" in text
    ok = waves_study(waves={"foer": ["1"], "efter": ["2"], "opfoelgning": []},
                     exports=[{"path": "e.csv"}, {"path": "f.csv", "wave": "opfoelgning"}])
    assert Study.from_config(validate_config(ok), "s").waves == ["foer", "efter", "opfoelgning"]


def test_waves_named_for_their_time_must_be_listed_in_time_order():
    """A config whose keys were sorted by the program that wrote it lists post before
    pre: every change would be measured backwards, so it is an error that says why."""
    text = problems(waves_study(waves={"post": ["2"], "pre": ["1"]}))
    assert "studies.s.waves: 'post' comes before 'pre', but waves are listed in time order" in text
    assert "sort_keys=False" in text
    text = problems(waves_study(waves={"followup": ["3"], "post": ["2"], "pre": ["1"]}))
    assert "'followup' comes before 'post'" in text
    for ok in ({"pre": ["1"], "post": ["2"], "followup": ["3"]}, {"baseline": ["0"], "pre": ["1"], "post": ["2"]},
               {"efter": ["2"], "foer": ["1"]}):  # ids that say nothing of time: the order given is the order
        assert Study.from_config(validate_config(waves_study(waves=ok)), "s").waves == list(ok)
