"""Pre/post evaluation of social-work programmes: survey exports in, a report out.

The notebook API runs the same stages as the workflow, without files::

    import evaluation as ev
    study = ev.load_study("config/config.yaml", "parents")
    results = ev.analyse(study)            # the unsuppressed results table

or stage by stage: ``ingested = ev.ingest(study)``, ``scores = ev.score(study,
ingested)``, ``pairs = ev.measure(study, scores)``, ``ev.analyse(study, pairs)``.
What is published (suppressed, audited) is made by the workflow only
(``evaluation.pipeline``), never in a notebook.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def _system_allocator_for_arrow() -> None:
    """Arrow's buffers (every parquet read and write, pandas' string columns) from the
    C library's allocator rather than Arrow's default mimalloc, unless the user chose
    one (``ARROW_DEFAULT_MEMORY_POOL``). On Linux with transparent huge pages,
    mimalloc hands its memory back and faults it in again as 2 MB pages that the
    kernel clears every time: the score stage of a 10^5-respondent study spent 4-7 s
    of its 5-8 s clearing pages, 0.4 s with the system allocator. Set before pandas
    is imported (it imports pyarrow), and on the pool directly if pyarrow is loaded."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    if "pyarrow" in sys.modules:
        import pyarrow

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())


_system_allocator_for_arrow()

import pandas as pd  # noqa: E402  (after the allocator is chosen)

from . import ingest as _ingest_module  # noqa: E402  # loaded first: the function below keeps the name
from .config import ConfigError, Study, load_config  # noqa: E402

__all__ = ["load_study", "ingest", "score", "measure", "analyse", "Study", "ConfigError"]


def load_study(config_path: str | Path, study_id: str, root: str | Path | None = None) -> Study:
    """One study of a config file, validated. Relative paths of exports and of the cost
    and fidelity sheets are resolved against ``root`` (default: the current directory),
    as the workflow resolves them against its ``--directory``."""
    config = load_config(config_path)
    if study_id not in config["studies"]:
        raise ValueError(f"{config_path} has no study {study_id!r}; it has: {', '.join(config['studies'])}")
    study = Study.from_config(config, study_id)
    base = Path(root) if root is not None else Path.cwd()
    for spec in [*study.spec["exports"], *(s for s in (study.costs, study.fidelity) if s)]:
        if not os.path.isabs(spec["path"]):
            spec["path"] = str(base / spec["path"])
    return study


def ingest(study: Study, key: bytes | None = None):
    """Read, validate and pseudonymize the study's exports (:func:`evaluation.ingest.ingest_study`).

    ``key`` defaults to ``EVALUATION_ID_KEY`` or the key file ``data/processed/.id_key``.
    """
    return _ingest_module.ingest_study(study, key if key is not None else _ingest_module.load_id_key())


def score(study: Study, ingested) -> pd.DataFrame:
    """Every scale score per person and wave (CONTRACT section 4, ``scores.parquet``)."""
    from .instruments import score_responses
    from .measures import with_baseline_bands

    scores = score_responses(ingested.responses, study.instruments, ["pid", "wave", *study.group_columns])
    return with_baseline_bands(scores, scores, study)


def measure(study: Study, scores: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, contrast and person: the scores at the contrast's two waves
    (``pre``, ``post``), with the person's groups."""
    from .measures import complete_pairs

    return complete_pairs(scores, study.outcomes, study.person_columns, study.contrasts)


def analyse(study: Study, pairs: pd.DataFrame | None = None) -> pd.DataFrame:
    """The unsuppressed results table (CONTRACT section 4); from the exports when
    ``pairs`` is not given."""
    from .analyses import Data, paired_change

    if pairs is None:
        pairs = measure(study, score(study, ingest(study)))
    return paired_change.compute(Data(pairs=pairs), study)
