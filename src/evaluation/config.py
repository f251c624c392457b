"""The study configuration (CONTRACT section 2): loaded, validated, given defaults.

Validation happens once, when the workflow loads, against ``config.schema.json``
and then a few checks a JSON schema cannot express (an outcome names a scale its
instrument has, a grouping names a configured column, ...). Every problem is
reported with the path of the bad key and what is allowed there.
"""
from __future__ import annotations

import copy
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import jsonschema
import yaml

from .instruments import Instrument, build_instruments, builtin_checks, builtin_scales, has_bands
from .instruments.custom import check as custom_checks

__all__ = ["ConfigError", "Study", "load_config", "validate_config", "ANALYSIS_DEFAULTS"]

V1_GROUPS = ("municipality", "variant")  # version-1 group columns, translated into groups at load
ANALYSIS_DEFAULTS = {"ci_level": 0.95, "correction": "holm", "min_n": 5, "on_invalid": "stop",
                     "reliable_change_z": 1.96, "headline_effect": "g_av", "figures": {"svg": False}}


class ConfigError(ValueError):
    """The config breaks the contract; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str], source: str = "config"):
        self.problems = problems
        super().__init__(f"{source} is invalid:\n" + "\n".join(f"  - {p}" for p in problems))


def _schema() -> dict:
    return json.loads(resources.files("evaluation").joinpath("config.schema.json").read_text())


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _describe(error: jsonschema.ValidationError) -> str:
    where = _path(error.absolute_path)
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        if allowed:
            return f"{where}: unknown key {', '.join(map(repr, extra))}; allowed keys: {', '.join(allowed)}"
        return f"{where}: {error.message}"
    if v == "required":
        return f"{where}: {error.message}"
    if v == "enum":
        return f"{where}: {error.instance!r} is not allowed; use one of {', '.join(map(repr, error.validator_value))}"
    if v == "pattern" and error.absolute_path and error.absolute_path[-1] == "path":
        return f"{where}: {error.instance!r} has an unknown format; use a .csv, .xlsx, .sav, .dta or .parquet file"
    if v == "propertyNames" or (v == "pattern" and error.path == error.relative_path and not error.absolute_path):
        return f"{where}: {error.message}"
    if v == "oneOf":
        # an instrument is either a built-in or a custom one: say what each needs
        inst = error.instance
        if isinstance(inst, Mapping) and "builtin" in inst:
            sub = [e for e in error.context if e.relative_schema_path[0] == 0]
        elif isinstance(inst, Mapping) and "items" in inst and "range" in inst:
            sub = [e for e in error.context if e.relative_schema_path[0] == 1]
        elif isinstance(inst, Mapping) and "items" in inst:
            return (f"{where}: a custom instrument needs 'range' ([min, max] of valid item values); "
                    "a built-in one needs 'builtin' (sdq_parent, sdq_self, who5, pss or psoc)")
        else:
            sub = list(error.context)
        if sub:
            best = jsonschema.exceptions.best_match(sub)
            return _describe(best)
        return f"{where}: {error.message}"
    return f"{where}: {error.message}"


def validate_config(config: Mapping[str, Any], source: str = "config") -> dict:
    """Validate a config mapping and return a deep copy with every default filled in.

    Raises
    ------
    ConfigError
        listing every problem with the path of the key and what is allowed.
    """
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError([_describe(e) for e in errors], source)
    cfg = copy.deepcopy(dict(config))
    cfg["analysis"] = {**copy.deepcopy(ANALYSIS_DEFAULTS), **(cfg.get("analysis") or {})}
    cfg["analysis"]["figures"] = {**ANALYSIS_DEFAULTS["figures"], **cfg["analysis"]["figures"]}
    problems: list[str] = []
    for sid, study in cfg["studies"].items():
        problems += _check_mapped_once(f"studies.{sid}", study)
        problems += _translate_v1(sid, study)
        problems += _check_study(sid, study)
        study.setdefault("language", "da")
        study.setdefault("waves", {"pre": ["pre"], "post": ["post"]})
        waves = list(study["waves"])
        study.setdefault("contrasts", [[waves[0], later] for later in waves[1:]])
        study.setdefault("groupings", [])
        study.setdefault("compare", _default_compare(study))
        if study.get("fidelity"):
            study["fidelity"].setdefault("high_fidelity", 0.8)
            study["fidelity"].setdefault("unit", "family" if "family" in study["columns"] else "person")
        study["compare"] = {g: {"adjust": list((spec or {}).get("adjust", []))} for g, spec in study["compare"].items()}
    if problems:
        raise ConfigError(problems, source)
    return cfg


def _check_mapped_once(p: str, study: Mapping) -> list[str]:
    """An export column is mapped once only: an id can never be a group (as written)."""
    problems = []
    mapped: dict[str, str] = {}
    roles = [(f"columns.{role}", role, column) for role, column in study["columns"].items()]
    roles += [(f"groups.{gid}.column", f"group {gid}", g["column"]) for gid, g in study.get("groups", {}).items()
              if "column" in g]
    for where, role, column in roles:
        if column in mapped:
            problems.append(f"{p}.{where}: export column {column!r} is already mapped as "
                            f"{mapped[column]}; a column can be mapped once only (an id can never be a group)")
        mapped.setdefault(column, role)
    return problems


def _translate_v1(sid: str, study: dict) -> list[str]:
    """Version-1 keys as version 2, once: ``columns.municipality`` / ``columns.variant``
    become the groups ``municipality`` / ``variant``, ``expected`` their allowed values."""
    p = f"studies.{sid}"
    problems = []
    cols = study["columns"]
    groups = study.get("groups", {})
    expected = study.pop("expected", {})
    v1 = {}
    for gid in V1_GROUPS:
        if gid in cols:
            if gid in groups:
                problems.append(f"{p}.columns.{gid}: also defined in groups; keep one of the two")
                continue
            v1[gid] = {"column": cols.pop(gid), **({"expected": expected[gid]} if gid in expected else {})}
    for gid in expected:
        if gid not in v1:
            problems.append(f"{p}.expected.{gid}: {gid!r} is not mapped in columns")
    study["groups"] = {**v1, **groups}
    return problems


def _check_groups(p: str, study: dict) -> list[str]:
    problems = []
    groups = study["groups"]
    for gid, g in groups.items():
        gp = f"{p}.groups.{gid}"
        if gid == "family" or gid == "all":
            problems.append(f"{gp}: {gid!r} is reserved; name the group otherwise")
        if "baseline_band" in g:
            outcome = study["outcomes"].get(g["baseline_band"])
            if outcome is None:
                problems.append(f"{gp}.baseline_band: {g['baseline_band']!r} is not an outcome; outcomes: "
                                f"{', '.join(study['outcomes'])}")
            elif not _has_bands(study, outcome):
                problems.append(f"{gp}.baseline_band: outcome {g['baseline_band']!r} has no bands (SDQ scales and "
                                "the WHO-5 total have)")
            for key in ("bins", "labels", "expected"):
                if key in g:
                    problems.append(f"{gp}.{key}: a baseline_band group's values are the outcome's bands; drop {key}")
            if gid in study.get("include", {}):
                problems.append(f"{p}.include.{gid}: a baseline_band group is known only after scoring; "
                                "include can test an export column only")
            continue
        if "bins" in g:
            bins = g["bins"]
            if not all(math.isfinite(b) for b in bins) or any(a >= b for a, b in zip(bins, bins[1:])):
                problems.append(f"{gp}.bins: {bins} must be finite and increasing")
            if len(g.get("labels", [])) != len(bins) - 1:
                problems.append(f"{gp}.labels: give {len(bins) - 1} labels, one per bin "
                                f"([{bins[0]}, {bins[1]}) ... [{bins[-2]}, {bins[-1]}))")
            if "expected" in g:
                problems.append(f"{gp}.expected: a binned group's values are its labels; drop expected")
        elif "labels" in g:
            problems.append(f"{gp}.labels: labels name bins; give bins too")
        values = [str(v) for v in (g.get("labels") if "bins" in g else g.get("expected", []))]
        for v in values:
            if "+" in v:
                problems.append(f"{gp}: {v!r} holds '+', which joins the values of a grouping "
                                "(Aarhus+gruppe); write it otherwise, e.g. '12 og derover'")
        if "reference" in g and values and str(g["reference"]) not in values:
            problems.append(f"{gp}.reference: {g['reference']!r} is not one of {', '.join(values)}")
    for gid, condition in study.get("include", {}).items():
        ip = f"{p}.include.{gid}"
        if gid not in groups:
            problems.append(f"{ip}: {gid!r} is not a group; define it under groups (a group may exist only "
                            "to be used here)")
        elif isinstance(condition, dict):
            lo, hi = condition.get("min", -math.inf), condition.get("max", math.inf)
            if lo > hi:
                problems.append(f"{ip}: min {lo} is above max {hi}")
        elif "expected" in groups[gid] and not {str(v) for v in condition} <= {str(v) for v in
                                                                             groups[gid]["expected"]}:
            problems.append(f"{ip}: {sorted(map(str, condition))} are not all expected values of {gid}")
    for k, grouping in enumerate(study.get("groupings", [])):
        for gid in grouping:
            if gid not in groups:
                problems.append(f"{p}.groupings[{k}]: {gid!r} is not a group; add it under groups "
                                f"(defined: {', '.join(groups) or 'none'})")
    return problems


def _group_values(g: Mapping) -> list[str]:
    """A group's values as configured (bin labels or expected values; [] when only the data know)."""
    return [str(v) for v in (g.get("labels", []) if "bins" in g else g.get("expected", []))]


def _default_compare(study: Mapping) -> dict:
    """``compare`` when it is not given: the programme variant, when defined with 2 or more levels."""
    variant = study.get("groups", {}).get("variant")
    return {"variant": {}} if variant is not None and len(_group_values(variant)) >= 2 else {}


def _check_compare(p: str, study: dict) -> list[str]:
    """Compared groups exist, have a reference level, and are adjusted for other groups only."""
    problems = []
    groups = study["groups"]
    for gid, spec in (study.get("compare") or {}).items():
        cp = f"{p}.compare.{gid}"
        if gid not in groups:
            problems.append(f"{cp}: {gid!r} is not a group; define it under groups "
                            f"(defined: {', '.join(groups) or 'none'})")
            continue
        g = groups[gid]
        if "reference" not in g and not _group_values(g):
            problems.append(f"{p}.groups.{gid}.reference: a compared group needs its reference level (the one the "
                            "others are compared with), e.g. reference: individuel; or list its expected values, "
                            "the first being the reference")
        for other in (spec or {}).get("adjust", []):
            if other == gid:
                problems.append(f"{cp}.adjust: {gid!r} cannot be adjusted for itself")
            elif other not in groups:
                problems.append(f"{cp}.adjust: {other!r} is not a group (defined: {', '.join(groups)})")
    return problems


def _check_reliability(p: str, study: dict) -> list[str]:
    """``reliability: alpha`` needs a scale of two or more items."""
    from .instruments import build_instrument

    problems = []
    for oid, spec in study["outcomes"].items():
        if spec.get("reliability") != "alpha" or spec["instrument"] not in study["instruments"]:
            continue
        try:
            items = build_instrument(spec["instrument"], study["instruments"][spec["instrument"]]).scale_items()
        except Exception:  # the instrument's own problems are reported by its checks
            continue
        if len(items.get(spec["scale"], ())) < 2:
            problems.append(f"{p}.outcomes.{oid}.reliability: alpha needs a scale of two or more items; "
                            f"{spec['instrument']} {spec['scale']} has not: give the published reliability "
                            "as a number, e.g. reliability: 0.80")
    return problems


_WAVE_RANK = {"baseline": 0, "pre": 0, "midway": 1, "post": 2, "followup": 3}  # ids that say when


def _check_waves(p: str, study: dict) -> list[str]:
    """Waves in time order, the exports that deliver them, and contrasts [earlier, later]."""
    problems = []
    cols = study["columns"]
    waves = list(study.get("waves") or ("pre", "post"))
    named = ", ".join(waves)
    if "wave" not in cols and any("wave" not in e and "wide" not in e for e in study["exports"]):
        problems.append(f"{p}.columns: 'wave' is required unless every export sets 'wave:' "
                        f"(one of {named}) or 'wide:'")
    if "wave" in cols and "waves" not in study:
        problems.append(f"{p}.waves: required when columns.wave is set; give the values of the wave "
                        "column in time order, e.g. {pre: [1], post: [2], followup: [3]}")
    delivered: set[str] = set()
    for k, export in enumerate(study["exports"]):
        if "wave" in export and "wide" in export:
            problems.append(f"{p}.exports[{k}]: 'wave' and 'wide' exclude each other: a wide file "
                            "holds several waves")
        for wave in ([export["wave"]] if "wave" in export else []) + list(export.get("wide", {})):
            if wave not in waves:
                problems.append(f"{p}.exports[{k}]: wave {wave!r} is not one of the study's waves ({named})")
            delivered.add(wave)
    if "waves" in study:
        owner: dict[str, str] = {}
        for wave, values in study["waves"].items():
            for v in values:
                key = str(v).strip().casefold()
                if key in owner and owner[key] != wave:
                    problems.append(f"{p}.waves.{wave}: {v!r} is also a value of wave {owner[key]!r}")
                owner.setdefault(key, wave)
            if not values and wave not in delivered:
                problems.append(f"{p}.waves.{wave}: no values, and no export sets 'wave: {wave}' or "
                                f"a 'wide:' suffix for it; give the values of the wave column")
    position = {w: i for i, w in enumerate(waves)}
    # waves whose ids say when they are must be listed so: a program that sorts the keys
    # (PyYAML's safe_dump does unless told not to) puts post before pre, and every
    # change would then be measured backwards without a word
    named_order = [w for w in waves if w in _WAVE_RANK]
    for a, b in zip(named_order, named_order[1:]):
        if _WAVE_RANK[a] > _WAVE_RANK[b]:
            problems.append(f"{p}.waves: {a!r} comes before {b!r}, but waves are listed in time order; "
                            f"list {b!r} first (a program writing the config must keep its key order: "
                            "PyYAML's safe_dump sorts keys unless given sort_keys=False)")
            break
    seen: set[tuple[str, str]] = set()
    for k, contrast in enumerate(study.get("contrasts", [])):
        cp = f"{p}.contrasts[{k}]"
        unknown = [w for w in contrast if w not in position]
        if unknown:
            problems.append(f"{cp}: {', '.join(map(repr, unknown))} is not a wave; waves: {named}")
            continue
        a, b = contrast
        if a == b:
            problems.append(f"{cp}: compares {a!r} with itself; give two different waves")
        elif position[a] > position[b]:
            problems.append(f"{cp}: [{a}, {b}] is reversed; a contrast is [earlier, later] in the order of "
                            f"waves ({named}), so write [{b}, {a}]")
        elif (a, b) in seen:
            problems.append(f"{cp}: [{a}, {b}] is given twice")
        seen.add((a, b))
    return problems


def _has_bands(study: dict, outcome: dict) -> bool:
    """Whether an outcome's scale has clinical bands (SDQ scales, the WHO-5 total)."""
    return has_bands(study["instruments"].get(outcome["instrument"], {}), outcome["scale"])


def _check_study(sid: str, study: dict) -> list[str]:
    from .privacy import find_cpr

    p = f"studies.{sid}"
    problems = []
    cols = study["columns"]
    mapped = {column: role for role, column in cols.items()}
    mapped.update({g["column"]: f"group {gid}" for gid, g in study["groups"].items() if "column" in g})
    problems += _check_groups(p, study)
    for key, what in (("costs", "costs are totalled"), ("fidelity", "fidelity is shown")):
        if key in study and "column" not in study["groups"].get("municipality", {}):
            problems.append(f"{p}.{key}: {what} per municipality, so the study needs a group "
                            "'municipality' read from an export column (groups: municipality: column: ...)")
    fidelity = study.get("fidelity") or {}
    if fidelity.get("unit") == "family" and "family" not in cols:
        problems.append(f"{p}.fidelity.unit: 'family' needs the family id column (columns: family: ...)")

    def texts(value, where):
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                yield from texts(k, where) if isinstance(k, str) else ()
                yield from texts(v, f"{where}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from texts(v, f"{where}[{i}]")

    for where, text in texts({k: v for k, v in study.items() if k != "exports"}, p):
        if find_cpr(text):
            problems.append(f"{where}: looks like a CPR number; personal numbers never belong in a config")
        if any(unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n" for ch in text):
            problems.append(f"{where}: {text[:40]!r} holds a control or invisible character; retype it")
    problems += _check_waves(p, study)
    problems += _check_compare(p, study)
    for iid, spec in study["instruments"].items():
        ip = f"{p}.instruments.{iid}"
        if "builtin" in spec:
            problems += builtin_checks(spec, ip)
        else:
            problems += custom_checks(spec, ip)
    seen: dict[str, str] = {}
    for iid, spec in study["instruments"].items():
        columns = list(spec["items"]) + list((spec.get("impact") or {}).values())
        for col in columns:
            if col in seen:
                problems.append(f"{p}.instruments.{iid}: column {col!r} is also an item of "
                                f"{seen[col]}; a column belongs to one instrument")
            seen[col] = iid
            if col in mapped:
                problems.append(f"{p}.instruments.{iid}: column {col!r} is also mapped as {mapped[col]}")
    for oid, spec in study["outcomes"].items():
        op = f"{p}.outcomes.{oid}"
        inst = study["instruments"].get(spec["instrument"])
        if inst is None:
            problems.append(f"{op}.instrument: {spec['instrument']!r} is not defined; defined "
                            f"instruments: {', '.join(study['instruments'])}")
            continue
        scales = builtin_scales(inst)
        if spec["scale"] not in scales:
            problems.append(f"{op}.scale: {spec['scale']!r} is not a scale of {spec['instrument']}; "
                            f"use one of {', '.join(scales)}")
    if not problems:
        problems += _check_reliability(p, study)
    return problems


class _Loader(yaml.SafeLoader):
    """YAML as people write it: ``1e3`` is a number (YAML 1.1 reads it as text), a key
    given twice is an error with both lines."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def _mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConfigError([f"line {key_node.start_mark.line + 1}: key {key!r} is given twice "
                               f"(first on line {seen[key]})"])
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int = 0) -> int:
    """How many nodes the document has once every alias is expanded (memoised)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > 500:
        raise ConfigError(["the YAML nests deeper than 500 levels"])
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo, depth + 1) + _expanded_size(v, memo, depth + 1)
                       for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, memo, depth + 1) for v in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def parse_config_text(text: str, source: str = "config") -> dict:
    """Parse config YAML safely: syntax errors with their line, duplicate keys, and
    aliases that expand beyond the document's size are errors, never a crash or a hang."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return {}
            if _expanded_size(node, {}) > max(1000, len(text)):
                raise ConfigError(["YAML aliases expand beyond the size of the document; write the values out"],
                                  source)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except ConfigError as exc:
        raise ConfigError(exc.problems, source) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([f"{where}not valid YAML: {what}"], source) from None
    return data if data is not None else {}


def load_config(path: str | Path) -> dict:
    """Read a YAML config file, validate it and fill in defaults."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"cannot be read: {exc}"], str(path)) from None
    raw = parse_config_text(text, str(path))
    if not isinstance(raw, dict):
        raise ConfigError(["the top level must be a mapping with 'studies' (and 'analysis')"], str(path))
    return validate_config(raw, str(path))


@dataclass
class Study:
    """One validated study of the config, with its instruments built."""

    id: str
    spec: dict
    analysis: dict

    @classmethod
    def from_config(cls, config: Mapping, study_id: str) -> "Study":
        return cls(study_id, config["studies"][study_id], config["analysis"])

    @property
    def language(self) -> str:
        """The report's language (the first of ``languages``)."""
        return self.languages[0]

    @property
    def languages(self) -> list[str]:
        """Every language a report is written in: ``language: da`` or ``[da, en]``."""
        value = self.spec["language"]
        return [value] if isinstance(value, str) else list(value)

    def in_language(self, lang: str) -> "Study":
        """The same study with its report in ``lang``."""
        return Study(self.id, {**self.spec, "language": lang}, self.analysis)

    def text(self, value: str | Mapping[str, str] | None, default: str = "") -> str:
        if value is None:
            return default
        return value if isinstance(value, str) else value[self.language]

    @property
    def title(self) -> str:
        return self.text(self.spec["title"])

    @property
    def columns(self) -> dict[str, str]:
        return self.spec["columns"]

    @property
    def waves(self) -> list[str]:
        """The wave ids in time order (the config's order, never sorted)."""
        return list(self.spec["waves"])

    @property
    def contrasts(self) -> list[tuple[str, str]]:
        """The contrasts ``(earlier, later)``; default: the first wave against each later one."""
        return [tuple(c) for c in self.spec["contrasts"]]

    @property
    def groups(self) -> dict[str, dict]:
        """The subgroup definitions (CONTRACT section 2), in config order."""
        return self.spec["groups"]

    @property
    def group_columns(self) -> list[str]:
        """What ingest carries per person besides the pseudonym: every group read from an
        export column, then ``family`` (pseudonymized) when it is mapped."""
        return [*(g for g, spec in self.groups.items() if "column" in spec),
                *(["family"] if "family" in self.columns else [])]

    @property
    def baseline_bands(self) -> dict[str, str]:
        """Groups whose value is a person's band of an outcome at the first wave: id -> outcome."""
        return {g: spec["baseline_band"] for g, spec in self.groups.items() if "baseline_band" in spec}

    @property
    def person_columns(self) -> list[str]:
        """What scores, pairs and people carry per person: every group id in config
        order (baseline bands included), then ``family``."""
        return [*self.groups, *(["family"] if "family" in self.columns else [])]

    @property
    def costs(self) -> dict | None:
        """The cost sheet's settings (CONTRACT section 6), or None."""
        return self.spec.get("costs")

    @property
    def fidelity(self) -> dict | None:
        """The fidelity sheet's settings (CONTRACT section 6), or None."""
        return self.spec.get("fidelity")

    @property
    def fidelity_unit(self) -> str:
        """Which id the fidelity sheet's rows carry: ``family`` or ``person``."""
        return (self.fidelity or {}).get("unit", self.unit)

    @property
    def unit(self) -> str:
        """What costs count: ``family`` when families are known, else ``person``."""
        return "family" if "family" in self.columns else "person"

    def levels(self, gid: str) -> list[str] | None:
        """A group's values in the order people expect them (bins: the labels; a baseline
        band: the bands from best to worst; otherwise the ``expected`` values); None:
        sort them as text."""
        from .instruments import BAND_ORDER

        g = self.groups.get(gid, {})
        if "bins" in g:
            return [str(v) for v in g["labels"]]
        if "baseline_band" in g:
            return list(BAND_ORDER)
        if "expected" in g:
            return [str(v) for v in g["expected"]]
        return None

    def group_sort_key(self, grouping: str, group: str) -> tuple:
        """Sort key of a published group ('Aarhus+gruppe') within its grouping."""
        if grouping == "all":
            return ()
        key = []
        for gid, value in zip(grouping.split("+"), str(group).split("+")):
            order = self.levels(gid)
            key.append((order.index(value), "") if order and value in order else (len(order or ()), value))
        return tuple(key)

    def reference(self, gid: str) -> str:
        """The level a compared group's other levels are compared with (configured
        ``reference``, else its first configured value)."""
        g = self.groups[gid]
        return str(g["reference"]) if "reference" in g else _group_values(g)[0]

    @property
    def compare(self) -> dict[str, list[str]]:
        """Compared groups (CONTRACT section 2, ``compare``): group id -> the groups its
        comparison is adjusted for."""
        return {g: list(spec["adjust"]) for g, spec in self.spec.get("compare", {}).items()}

    def export_column(self, name: str) -> str:
        """The export column of a group id or of a ``columns`` role (id, wave, family)."""
        return self.groups[name]["column"] if name in self.groups else self.columns[name]

    def group_label(self, gid: str) -> str | None:
        """A group's label in the report language (None: use the built-in name)."""
        label = self.groups.get(gid, {}).get("label")
        return self.text(label) if label is not None else None

    @property
    def instruments(self) -> dict[str, Instrument]:
        return build_instruments(self.spec["instruments"], self.spec.get("missing", ()))

    @property
    def outcomes(self) -> dict[str, dict]:
        return self.spec["outcomes"]

    def outcome_label(self, outcome: str) -> str:
        return self.text(self.outcomes[outcome].get("label"), outcome)

    def toward_better(self, outcome: str) -> float:
        """+1 when a higher score of ``outcome`` is better, -1 when lower is: a change
        times this is positive when it is an improvement."""
        return 1.0 if self.outcomes[outcome]["better"] == "higher" else -1.0

    @property
    def groupings(self) -> list[list[str]]:
        """The configured groupings, each in the order listed, "all" first."""
        out: list[list[str]] = [[]]
        for g in self.spec["groupings"]:
            if list(g) not in out:
                out.append(list(g))
        return out
