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


def _memory_settings() -> None:
    """How numpy and Arrow get memory, chosen for large studies (no result changes).

    Fresh memory is what a large study pays for most: the kernel clears every page
    a process touches for the first time. Two defaults make that dearer, and are
    turned off unless the user set them (``NUMPY_MADVISE_HUGEPAGE``,
    ``ARROW_DEFAULT_MEMORY_POOL``):

    - numpy asks for transparent huge pages on every array of 4 MB or more; each
      first touch then clears a 2 MB page (touching 600 MB: 0.95 s against 0.21 s
      with normal pages; the score stage of 10^5 respondents 3.7-4.0 s -> 2.4 s);
    - Arrow's mimalloc pool hands memory back and faults it in again as huge pages
      (every parquet read and write, pandas' text columns): the system allocator
      keeps it (score stage 5-8 s -> 2.2-2.8 s).

    Set before pandas is imported (it imports numpy and pyarrow); on the loaded
    modules directly when they are loaded already (Snakemake imports numpy first).
    """
    if "NUMPY_MADVISE_HUGEPAGE" not in os.environ:
        os.environ["NUMPY_MADVISE_HUGEPAGE"] = "0"
        if "numpy" in sys.modules:
            import numpy

            setter = getattr(getattr(numpy, "_core", numpy).multiarray, "_set_madvise_hugepage", None)
            if setter is not None:
                setter(False)
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
        if "pyarrow" in sys.modules:
            import pyarrow

            pyarrow.set_memory_pool(pyarrow.system_memory_pool())


_memory_settings()

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
    """Every scale score per person and wave (CONTRACT section 4, ``scores.parquet``; text
    columns categorical)."""
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
