"""Cost sheets (CONTRACT section 6): read and checked like an export, totalled per
municipality and Socialstyrelsen's four categories, and put per unit.

A cost sheet has one row per cost item, with Danish headers by default::

    Kommune;Kategori;Post;Timer;Timepris;Beløb
    Herning;uddannelse;Kursus i kriseinformeret praksis;32;450;
    Herning;materiel;Materialer;;;2500

A row costs ``hours × rate + amount``. Every bad row is reported with the file, the
line as the user sees it, the column, the value and the rule it breaks
(:class:`evaluation.ingest.Problem`); nothing is totalled from a sheet with one.

No file path is known here beyond the sheet the config names.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["CATEGORIES", "COST_COLUMNS", "DEFAULT_COLUMNS", "read_cost_sheet", "cost_items", "cost_table"]

CATEGORIES = ("forberedelse", "uddannelse", "drift", "materiel")  # Socialstyrelsen's four
DEFAULT_COLUMNS = {"municipality": "Kommune", "category": "Kategori", "item": "Post", "hours": "Timer",
                   "rate": "Timepris", "amount": "Beløb"}
COST_COLUMNS = ["line", "municipality", "category", "item", "hours", "rate", "amount", "cost"]
_NUMBER = re.compile(r"^[+-]?(\d+|\d{1,3}(\.\d{3})+)(,\d+)?$|^[+-]?\d+(\.\d+)?$")


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return unicodedata.normalize("NFC", str(value)).strip()


def _number(value) -> float | None:
    """A number as a Danish or English sheet writes it ("1.234,50", "1234.5", 1234.5);
    None when empty; ValueError when it is not a number."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = _text(value).replace("\u00a0", "").replace(" ", "")
    if text.lower().endswith("kr."):
        text = text[:-3]
    elif text.lower().endswith("kr"):
        text = text[:-2]
    if not text:
        return None
    if not _NUMBER.match(text):
        raise ValueError(value)
    if "," in text:  # Danish: "." groups thousands, "," is the decimal mark
        text = text.replace(".", "").replace(",", ".")
    return float(text)


def read_cost_sheet(spec: Mapping, source: str = "cost sheet") -> tuple[pd.DataFrame, list]:
    """The items of a cost sheet (:data:`COST_COLUMNS`) and every problem found.

    ``spec`` is the study's ``costs`` config (path, optional sheet, encoding, delimiter,
    columns). The line is the row as the user sees it (CSV: line in the file; XLSX:
    row in the sheet; header = 1).
    """
    from .ingest import Problem, _header_problems, read_export

    from pathlib import Path

    if not Path(spec["path"]).is_file():
        raise FileNotFoundError(f"cost sheet {spec['path']} does not exist (from config costs: path)")
    columns = {**DEFAULT_COLUMNS, **(spec.get("columns") or {})}
    raw, lines = read_export(spec)
    problems = _header_problems(source, raw, lines)
    raw.columns = [_text(c) for c in raw.columns]
    missing = [c for key, c in columns.items() if key != "item" and c not in raw.columns]
    for name in missing:
        problems.append(Problem(source, 1, name, "(header)",
                                f"the cost sheet has no column {name!r} (config costs: columns); "
                                f"its columns: {', '.join(map(repr, raw.columns))}", True))
    if any(p.fatal for p in problems):
        return pd.DataFrame(columns=COST_COLUMNS), problems
    items, row_problems = cost_items(raw, lines, columns, source)
    return items, problems + row_problems


def cost_items(raw: pd.DataFrame, lines: Sequence[int], columns: Mapping[str, str],
               source: str = "cost sheet") -> tuple[pd.DataFrame, list]:
    """Each row of a read sheet checked and priced: the valid items and the problems
    (one per bad value; a row with a problem is not among the items)."""
    from .ingest import Problem, _shown

    problems: list = []
    rows = []
    item_column = columns.get("item")
    for r, line in zip(raw.itertuples(index=False), lines):
        record = dict(zip(raw.columns, r))
        line = int(line)
        bad = len(problems)

        def problem(key: str, rule: str) -> None:
            problems.append(Problem(source, line, columns[key], _shown(record.get(columns[key])), rule))

        municipality = _text(record[columns["municipality"]])
        if not municipality:
            problem("municipality", "a cost row needs the municipality it was spent in")
        category = _text(record[columns["category"]]).lower()
        if category not in CATEGORIES:
            problem("category", f"unknown category: one of {', '.join(CATEGORIES)}")
        values = {}
        for key in ("hours", "rate", "amount"):
            try:
                values[key] = _number(record[columns[key]])
            except ValueError:
                problem(key, "not a number")
                values[key] = np.nan
                continue
            if values[key] is not None and values[key] < 0:
                problem(key, f"negative {key}: a cost is 0 or more (a refund is a lower amount)")
        hours, rate, amount = values["hours"], values["rate"], values["amount"]
        if len(problems) == bad:
            if hours is not None and rate is None:
                problem("rate", f"hours need an hourly rate ({columns['rate']})")
            elif rate is not None and hours is None:
                problem("hours", f"an hourly rate needs hours ({columns['hours']})")
            elif hours is None and amount is None:
                problems.append(Problem(source, line, f"{columns['hours']}, {columns['rate']}, {columns['amount']}",
                                        "''", "a row with neither hours × rate nor an amount"))
        if len(problems) > bad:
            continue
        cost = (hours or 0.0) * (rate or 0.0) + (amount or 0.0)
        rows.append({"line": line, "municipality": municipality, "category": category,
                     "item": _text(record.get(item_column)) if item_column in record else "",
                     "hours": np.nan if hours is None else hours, "rate": np.nan if rate is None else rate,
                     "amount": np.nan if amount is None else amount, "cost": cost})
    return pd.DataFrame(rows, columns=COST_COLUMNS), problems


def cost_table(items: pd.DataFrame, municipalities: Sequence[str], enrolled: Mapping[str, int],
               completed: Mapping[str, int], improved: Mapping[str, Mapping[str, int]] | None = None,
               ) -> pd.DataFrame:
    """``costs.csv`` (CONTRACT section 6): one row per municipality (the configured ones,
    then any other the sheet names, then ``all``) × category (the four, then
    ``total``), every combination present (0 without cost rows). The ``total`` rows
    add ``n_enrolled, n_completed`` (units, keyed by municipality and ``all``), the
    cost per enrolled and per completed unit, and per outcome of ``improved``
    (reliably improved people per municipality, recovered included) the cost per
    reliably improved participant; a zero denominator gives an empty cost.

    >>> items = pd.DataFrame({"municipality": ["A", "A", "B"], "category": ["drift", "materiel", "drift"],
    ...                       "cost": [1000.0, 200.0, 600.0]})
    >>> t = cost_table(items, ["A", "B"], {"A": 4, "B": 2, "all": 6}, {"A": 3, "B": 1, "all": 4})
    >>> t[t["category"] == "total"][["municipality", "cost", "cost_per_enrolled", "cost_per_completed"]].values.tolist()
    [['A', 1200.0, 300.0, 400.0], ['B', 600.0, 300.0, 600.0], ['all', 1800.0, 300.0, 450.0]]
    """
    improved = dict(improved or {})
    names = list(dict.fromkeys([*municipalities, *sorted(set(items["municipality"]) - set(municipalities))]))
    by = items.groupby(["municipality", "category"])["cost"].sum() if len(items) else pd.Series(dtype=float)
    rows = []
    for m in [*names, "all"]:
        for c in CATEGORIES:
            if m == "all":
                cost = float(items.loc[items["category"] == c, "cost"].sum()) if len(items) else 0.0
            else:
                cost = float(by.get((m, c), 0.0))
            rows.append({"municipality": m, "category": c, "cost": cost})
        total = float(sum(r["cost"] for r in rows[-len(CATEGORIES):]))
        row = {"municipality": m, "category": "total", "cost": total,
               "n_enrolled": enrolled.get(m, 0), "n_completed": completed.get(m, 0)}
        row["cost_per_enrolled"] = total / row["n_enrolled"] if row["n_enrolled"] else np.nan
        row["cost_per_completed"] = total / row["n_completed"] if row["n_completed"] else np.nan
        for outcome, per in improved.items():
            n = per.get(m, 0)
            row[f"cost_per_reliably_improved_{outcome}"] = total / n if n else np.nan
        rows.append(row)
    columns = ["municipality", "category", "cost", "n_enrolled", "n_completed", "cost_per_enrolled",
               "cost_per_completed", *(f"cost_per_reliably_improved_{o}" for o in improved)]
    table = pd.DataFrame(rows, columns=columns)
    for c in ("n_enrolled", "n_completed"):
        table[c] = table[c].astype("Int64")
    return table
