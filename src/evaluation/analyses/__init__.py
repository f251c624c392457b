"""The questions the report answers, one module each, in report order.

Every module in :data:`ANALYSES` has the same shape (pingouin-style functions, no
class tree); the workflow, the disclosure step, the figures and the report loop
over them, so a new analysis is one new module here plus its texts and tests:

``NAME``
    its table: ``data/processed/<study>/<NAME>.csv`` (full, unrounded) and
    ``reports/<study>/<PUBLISHED>`` (protected).
``PUBLISHED``
    where the published table goes in the publication (default ``tables/<NAME>.csv``).
``STORED``, ``READ_AS_TEXT`` (optional)
    ``STORED = False``: the full table is not written by the analyse stage (it is made
    from ``NEEDS`` when published); ``READ_AS_TEXT``: its published table is read back
    as text.
``NEEDS``
    the processed data its ``compute`` reads (names of :class:`Data` attributes).
``COST`` (optional)
    how long its ``compute`` takes next to an analysis of cost 1 (the default) in a
    large study: the analyse stage starts the costliest first, so that its two cores
    finish together.
``COLUMNS``
    every column of its table and what it means (the contract test checks them).
``KEYS``
    the columns a hidden row keeps (CONTRACT section 7).
``applies(study) -> bool``
    whether the study has the question at all (a table without rows otherwise).
``compute(data, study) -> DataFrame``
    the full table, exactly ``COLUMNS``.
``counts(model, table, study)`` (optional)
    puts the table's counts of people into the disclosure model
    (:class:`evaluation.disclosure.CountModel`): they are then protected together
    with every other table of the study.
``publish(table, published, study, min_n) -> (table, reasons)`` (optional)
    a table whose counts are not counts of people of the model (units, costs per
    unit) publishes itself from the other published tables: which cells it blanks
    and why (``{(row, column): "small" | "protect"}``).
``SMALL_ROWS`` / ``SMALL_CELLS`` / ``BLANK_WITH`` (optional)
    counts in no linear relation with the others, hidden by the small-count rule
    alone: a row whose ``SMALL_ROWS`` count is small is hidden; a small
    ``SMALL_CELLS`` count is blank; ``BLANK_WITH`` names the columns that go with
    a hidden count (a share with its ``n``).
``columns(study)`` (optional)
    the table's columns for a study when they depend on it (default ``COLUMNS``).
``model_groupings(study)`` (optional)
    cells it publishes counts of beyond the configured groupings (they join the
    disclosure model's groupings).
``persons(data, study)``, ``partition(persons, study)`` (optional)
    a per-person table kept in ``data/processed/<study>/<NAME>_persons.parquet``, and
    the class of each person in it that the disclosure model counts per cell (the
    classes of a cell add up to its complete pairs).
``figures(tables, study) -> dict[str, Figure | Callable[[], Figure]]``
    its figures by file stem, drawn from published tables only (a function that
    draws one lets the report stage draw them in parallel, while it writes the text).
``SUMMARY_AFTER`` (optional)
    true: its summary lines follow those of the analyses without it (the results lead).
``blocks(ctx) -> list[Section]``, ``findings(ctx) -> list[str]``,
``methods(ctx) -> list[Block]`` (the last two optional)
    its report sections, its lines in the summary and in the methods.

No module here imports :mod:`evaluation.pipeline` (files) or :mod:`evaluation.stages`:
below the report nothing knows a file path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from . import (attrition, bands, clustered_change, costs, data_issues, fidelity, fidelity_change, flow,
               group_comparison, mixed_model, paired_change, reliability, reliable_change)

__all__ = ["ANALYSES", "enabled", "with_persons", "table_columns", "Data", "Context", "published_path",
           "read_published"]

ANALYSES: list[ModuleType] = [flow, fidelity, fidelity_change, paired_change, group_comparison, clustered_change,
                              mixed_model, attrition, reliable_change, bands, costs, reliability, data_issues]


def enabled(study) -> list[ModuleType]:
    """The analyses that apply to a study, in report order."""
    return [a for a in ANALYSES if a.applies(study)]


def with_persons() -> list[ModuleType]:
    """The analyses that keep a per-person table (``<NAME>_persons.parquet``), in order."""
    return [a for a in ANALYSES if hasattr(a, "persons")]


def table_columns(analysis: ModuleType, study) -> list[str]:
    """An analysis's table columns for a study (``columns(study)`` when it has one)."""
    return analysis.columns(study) if hasattr(analysis, "columns") else list(analysis.COLUMNS)


def published_path(analysis: ModuleType) -> str:
    """Where an analysis's published table goes, relative to the publication folder."""
    return getattr(analysis, "PUBLISHED", f"tables/{analysis.NAME}.csv")


def read_published(analysis: ModuleType, publication) -> pd.DataFrame:
    """An analysis's published table, read back from a publication folder."""
    from ..io import read_published_csv

    path = Path(publication) / published_path(analysis)
    return read_published_csv(path, **({"dtype": str} if getattr(analysis, "READ_AS_TEXT", False) else {}))


@dataclass
class Data:
    """The processed data of one study that analyses read (each loaded by the caller)."""

    scores: pd.DataFrame | None = None  # kept only for an analysis that NEEDS "scores"
    pairs: pd.DataFrame | None = None
    band_pairs: pd.DataFrame | None = None  # :func:`evaluation.measures.band_pairs`
    validity: pd.DataFrame | None = None  # :func:`evaluation.measures.validity`
    people: pd.DataFrame | None = None  # :func:`evaluation.measures.participation`
    flow: pd.DataFrame | None = None  # flow.csv: every input row and its status
    responses: pd.DataFrame | None = None  # or its columns as read (evaluation.io.ParquetColumns)
    issues: pd.DataFrame | None = None  # data_issues.csv of ingest (with values)
    cost_items: pd.DataFrame | None = None  # cost_items.parquet: the cost sheet's valid items (evaluation.costs)
    fidelity: pd.DataFrame | None = None  # fidelity.parquet: unit (pseudonym), element, delivered


@dataclass
class Context:
    """What an analysis's report blocks read: published tables and facts, never raw data."""

    study: Any
    tables: dict[str, pd.DataFrame]  # published, by analysis NAME
    hidden: dict[str, tuple[dict[int, str], dict[tuple[int, str], str]]] = field(default_factory=dict)
    ingest: dict = field(default_factory=dict)  # inputs.json: missing codes, group changes

    @property
    def lang(self) -> str:
        return self.study.language

    @property
    def min_n(self) -> int:
        return self.study.analysis["min_n"]

    def reasons(self, name: str) -> tuple[dict[int, str], dict[tuple[int, str], str]]:
        """Hidden rows and single counts of a published table, and why ("small" | "protect")."""
        return self.hidden.get(name, ({}, {}))
