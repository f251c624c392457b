"""Questionnaire scoring by the published rules, one module per questionnaire family.

Every built-in instrument follows ``shared/instruments.md`` ("Decisions for this
project"); custom instruments are defined in the config (CONTRACT section 2).
Each family module (:mod:`.sdq`, :mod:`.who5`, :mod:`.pss`, :mod:`.psoc`,
:mod:`.custom`) owns its answer labels, key, scales, bands, scoring and config
checks; :class:`~.base.Instrument` is what the pipeline sees, and asks its family.
A new questionnaire is one new module here, listed in :data:`FAMILIES`.
"""
from __future__ import annotations

from .bands import BAND_NAMES, BAND_ORDER, band_sort_key
from .base import (FAMILIES, Instrument, as_categories, build_instrument, build_instruments, family_of,
                   is_missing_code, score_responses)
from .psoc import SATISFACTION as PSOC_SATISFACTION
from .pss import REVERSED as PSS_REVERSED
from .reliability import cronbach_alpha, mcdonald_omega, reliability
from .sdq import REVERSED as SDQ_REVERSED
from .sdq import SCALES_ITEMS as SDQ_SCALES
from .sdq import prorate as sdq_prorate

__all__ = ["Instrument", "FAMILIES", "family_of", "BUILTIN_SCALES", "BUILTIN_N_ITEMS", "BAND_ORDER", "BAND_NAMES",
           "band_sort_key", "build_instrument", "build_instruments", "is_missing_code", "score_responses",
           "as_categories",
           "reliability", "cronbach_alpha", "mcdonald_omega", "sdq_prorate", "PSOC_SATISFACTION", "PSS_REVERSED",
           "SDQ_REVERSED", "SDQ_SCALES", "builtin_scales", "builtin_checks", "has_bands"]

BUILTIN_SCALES = {name: module.SCALES for name, module in FAMILIES.items()}
BUILTIN_N_ITEMS = {name: module.N_ITEMS for name, module in FAMILIES.items()}


def builtin_scales(spec) -> list[str]:
    """The scales an outcome may name for an instrument's config entry."""
    family = family_of(spec.get("builtin"))
    own = getattr(family, "scales_of", None)
    return own(spec) if own else list(family.SCALES)


def has_bands(spec, scale: str) -> bool:
    """Whether a scale of an instrument's config entry has clinical bands."""
    own = getattr(family_of(spec.get("builtin")), "has_bands", None)
    return bool(own and own(scale))


def builtin_checks(spec, where: str) -> list[str]:
    """A built-in instrument's own config rules (items, min_answered, impact, bands)."""
    b = spec["builtin"]
    family = FAMILIES[b]
    problems = []
    if len(spec["items"]) != family.N_ITEMS:
        problems.append(f"{where}.items: {b} has {family.N_ITEMS} items in the official order; "
                        f"{len(spec['items'])} given")
    if "min_answered" in spec and not getattr(family, "TAKES_MIN_ANSWERED", False):
        problems.append(f"{where}.min_answered: only who5 and pss take min_answered; "
                        f"{b} follows its published missing-item rule")
    if "min_answered" in spec and spec["min_answered"] > len(spec["items"]):
        problems.append(f"{where}.min_answered: {spec['min_answered']} is more than the "
                        f"{len(spec['items'])} items")
    if "impact" in spec and not hasattr(family, "IMPACT_ITEMS"):
        problems.append(f"{where}.impact: only SDQ instruments have impact items")
    if "bands" in spec and not hasattr(family, "CUTS"):
        problems.append(f"{where}.bands: only SDQ instruments have 3- and 4-band cut-offs")
    return problems
