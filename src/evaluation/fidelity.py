"""Fidelity sheets (CONTRACT section 6): how far each unit (family or person) received
each core element of the programme, read and checked like an export.

One row per unit × core element, Danish headers by default::

    familie_id;Kerneelement;Leveret
    FAM1001;kriseinformeret;ja
    FAM1001;handleplan;delvist

``delivered`` maps the sheet's answers to numbers from 0 to 1 (``{ja: 1, delvist: 0.5,
nej: 0}``); an element is named by its config id or its label in either language.
Every bad row is reported with the file, line, column, value and rule
(:class:`evaluation.ingest.Problem`). Ids are the exports' raw ids: ingest
pseudonymizes them with the exports' key before anything is stored.
"""
from __future__ import annotations

import unicodedata
from typing import Mapping

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_COLUMNS", "FIDELITY_COLUMNS", "read_fidelity_sheet", "unit_scores"]

DEFAULT_COLUMNS = {"id": "id", "element": "Kerneelement", "delivered": "Leveret"}
FIDELITY_COLUMNS = ["line", "id", "element", "delivered"]


def _key(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip().casefold()


def read_fidelity_sheet(spec: Mapping, source: str = "fidelity sheet") -> tuple[pd.DataFrame, list]:
    """The rows of a fidelity sheet (:data:`FIDELITY_COLUMNS`: line, raw id as text,
    element id, delivered value) and every problem: a missing column, an empty id, an
    element that is not configured, an answer ``delivered`` does not map, the same unit
    and element twice."""
    from pathlib import Path

    from .ingest import Problem, _as_text, _header_problems, _shown, clean_text, read_export

    if not Path(spec["path"]).is_file():
        raise FileNotFoundError(f"fidelity sheet {spec['path']} does not exist (from config fidelity: path)")
    columns = {**DEFAULT_COLUMNS, **(spec.get("columns") or {})}
    raw, lines = read_export(spec)
    problems = _header_problems(source, raw, lines)
    raw.columns = [str(c).strip() for c in raw.columns]
    for name in [c for c in columns.values() if c not in raw.columns]:
        problems.append(Problem(source, 1, name, "(header)",
                                f"the fidelity sheet has no column {name!r} (config fidelity: columns); "
                                f"its columns: {', '.join(map(repr, raw.columns))}", True))
    if any(p.fatal for p in problems):
        return pd.DataFrame(columns=FIDELITY_COLUMNS), problems
    elements = {}
    for eid, label in spec["elements"].items():
        for name in [eid, *(label.values() if isinstance(label, Mapping) else [label])]:
            elements[_key(name)] = eid
    delivered = {_key(k): float(v) for k, v in spec["delivered"].items()}
    ids = [clean_text(v)[0] or None if isinstance(v, str) else None for v in _as_text(raw[columns["id"]])]
    rows, seen = [], {}
    for i, (line, raw_id) in enumerate(zip(lines, ids)):
        line = int(line)
        bad = len(problems)
        element_value, answer = raw[columns["element"]].iat[i], raw[columns["delivered"]].iat[i]
        if raw_id is None:
            problems.append(Problem(source, line, columns["id"], "''", "a fidelity row needs the unit's id"))
        element = elements.get(_key(element_value))
        if element is None:
            problems.append(Problem(source, line, columns["element"], _shown(element_value),
                                    f"unknown core element: one of {', '.join(spec['elements'])} "
                                    "(config fidelity: elements)"))
        value = delivered.get(_key(answer))
        if value is None:
            answers = ", ".join(map(str, spec["delivered"]))
            problems.append(Problem(source, line, columns["delivered"], _shown(answer),
                                    f"not an answer of config fidelity: delivered ({answers})"))
        if len(problems) > bad:
            continue
        first = seen.setdefault((raw_id, element), line)
        if first != line:
            problems.append(Problem(source, line, columns["element"], _shown(element_value),
                                    f"the same unit and core element as line {first}"))
            continue
        rows.append({"line": line, "id": raw_id, "element": element, "delivered": value})
    return pd.DataFrame(rows, columns=FIDELITY_COLUMNS), problems


def unit_scores(items: pd.DataFrame, elements: list[str]) -> pd.DataFrame:
    """Per unit (``unit`` column of ``items``): each element's delivered value (NaN: no
    row) and ``score``, the mean over all ``elements`` with a missing row counted as 0.

    >>> items = pd.DataFrame({"unit": ["a", "a", "b"], "element": ["x", "y", "x"], "delivered": [1, 0.5, 1]})
    >>> unit_scores(items, ["x", "y"])["score"].tolist()
    [0.75, 0.5]
    """
    wide = items.pivot(index="unit", columns="element", values="delivered").reindex(columns=elements)
    wide["score"] = wide[elements].fillna(0.0).mean(axis=1)
    return wide
