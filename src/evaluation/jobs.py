"""The workflow's jobs, run in worker processes that hold the analysis stack already.

Snakemake runs every rule's ``run:`` block as a thread of its own process
(``profiles/default``: ``force-use-threads``), and Python threads take turns on one
core. The rules hand their stage to this pool instead: one worker process per
core, forked from the Snakemake process when the workflow has been loaded, so
that each starts with everything the workflow imported (pandas, the library) and
no job pays for imports again. Two studies then use two cores.

    jobs.start()                                       # at the end of the Snakefile
    jobs.run("ingest", study, input, output, log[0])   # in a rule's run: block
    jobs.stop()                                        # onsuccess / onerror

The workers are forked while the Snakemake process still has a single thread
(forking a process with threads can leave a lock held in the child); where that
is not so, or processes cannot fork, :func:`run` runs the stage in the calling
thread, as :func:`evaluation.stages.run_stage` does.
"""
from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Mapping, Sequence

__all__ = ["start", "run", "stop", "StageError"]

_pool: ProcessPoolExecutor | None = None


def _prepare() -> None:
    """In each new worker: what the first stages need and the workflow did not import."""
    import pyarrow.parquet  # noqa: F401  (every stage reads or writes parquet)


def start(workers: int | None = None) -> bool:
    """Fork ``workers`` worker processes (default: one per core) now; False when the
    stages will run in the calling process instead (see the module notes)."""
    global _pool
    if _pool is not None:
        return True
    if not sys.platform.startswith("linux") or threading.active_count() > 1 \
            or "fork" not in multiprocessing.get_all_start_methods():
        return False
    pool = ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                               mp_context=multiprocessing.get_context("fork"), initializer=_prepare)
    pool.submit(int).result()  # the fork context starts every worker at the first job
    _pool = pool
    return True


def _plain(files) -> dict | list:
    """Snakemake's named lists as plain dicts (named) or lists (unnamed), to pickle."""
    named = dict(files.items()) if hasattr(files, "items") else {}
    named = {k: ([str(f) for f in v] if isinstance(v, (list, tuple)) else str(v)) for k, v in named.items()}
    return named or [str(f) for f in files]


class StageError(RuntimeError):
    """A stage failed in a worker with an exception that cannot travel back as itself."""


def _job(name: str, study, inputs, outputs, log_path: str, directory: str) -> None:
    from .stages import run_stage

    os.chdir(directory)  # the workflow's directory as the job was sent
    try:
        run_stage(name, study, inputs, outputs, log_path)
    except Exception as exc:  # the same exception in the workflow, or its message
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:
            raise StageError(f"{type(exc).__name__}: {exc}") from None
        raise


def run(name: str, study, inputs: Mapping | Sequence, outputs: Mapping | Sequence, log_path: str) -> None:
    """Run stage ``name`` of ``study`` in a worker (or here, without a pool) and wait for it."""
    if _pool is None:
        from .stages import run_stage

        run_stage(name, study, inputs, outputs, log_path)
        return
    _pool.submit(_job, name, study, _plain(inputs), _plain(outputs), log_path, os.getcwd()).result()


def stop() -> None:
    """Let the workers go (each finishes the job it runs)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None
