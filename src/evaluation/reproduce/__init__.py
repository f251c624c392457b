"""A reviewer's reproduction kit (``data/processed/<study>/reproduce/``): the complete
pairs as CSV and an R script that recomputes every number of the published results
and group-comparison tables from them with R's own functions (``t.test``,
``wilcox.test``, ``pt`` and ``uniroot`` for the CI of d_z, ``p.adjust``, ``lm``,
``anova``, ``clubSandwich`` for CR2) and prints the largest difference::

    Rscript data/processed/<study>/reproduce/reproduce.R [reports/<study>/tables]

The pairs are pseudonymised people: the kit stays with the processed data and is
never published.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

__all__ = ["write_kit", "r_settings"]


def _r(value) -> str:
    """A Python value as an R literal."""
    if value is None:
        return "NA"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        return f"c({', '.join(_r(v) for v in value)})" if value else "character(0)"
    if isinstance(value, dict):
        return f"list({', '.join(f'`{k}` = {_r(v)}' for k, v in value.items())})" if value else "list()"
    raise TypeError(f"no R literal for {type(value).__name__}")


def r_settings(study) -> str:
    """The study's settings the script needs, as R assignments."""
    a = study.analysis
    correction = {"fdr_bh": "BH", "none": "none"}.get(a["correction"], a["correction"])
    compare = {g: {"reference": study.reference(g), "adjust": adjust} for g, adjust in study.compare.items()}
    lines = [f"# study {study.id}: the settings of its config",
             f"MIN_N <- {_r(int(a['min_n']))}",
             f"CI_LEVEL <- {_r(float(a['ci_level']))}",
             f"CORRECTION <- {_r(correction)}  # p.adjust method",
             f"COMPARE <- {_r(compare)}",
             f"CLUSTER <- {_r('family' if 'family' in study.columns else None)}  # families as clusters (CR2)"]
    return "\n".join(lines)


def write_kit(study, pairs: pd.DataFrame, folder: str | Path) -> list[Path]:
    """Write ``pairs.csv`` and ``reproduce.R`` into ``folder``; returns their paths."""
    from ..io import write_csv, write_text

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    script = resources.files(__package__).joinpath("reproduce.R").read_text(encoding="utf-8")
    write_text(folder / "reproduce.R", script.replace("#%SETTINGS%", r_settings(study)))
    write_csv(pairs, folder / "pairs.csv")
    return [folder / "pairs.csv", folder / "reproduce.R"]
