"""The workflow's jobs, each run in a process of its own that starts with the whole
analysis stack imported.

Snakemake runs every rule's ``run:`` block as a thread of its own process
(``profiles/default``: ``force-use-threads``), and Python threads take turns on one
core. The rules hand their stage to this module instead. When the workflow has
been loaded, :func:`start` forks a *zygote*: a copy of the Snakemake process with
everything the workflow imported (pandas, the library). While Snakemake builds
its DAG and the first jobs run, the zygote imports what the later stages need
(scipy's optimiser, matplotlib, python-docx, openpyxl), once. Every job is a fork
of the zygote: it starts in milliseconds with all of that in memory, runs one
stage and exits. Two studies then use two cores, and no import is paid twice.

    jobs.start()                                       # at the end of the Snakefile
    jobs.run("ingest", study, input, output, log[0])   # in a rule's run: block
    jobs.stop()                                        # onsuccess / onerror

The zygote is forked while the Snakemake process has a single thread (forking a
process with threads can leave a lock held in the child). Where that is not so,
or processes cannot fork, :func:`run` runs the stage in the calling thread, as
:func:`evaluation.stages.run_stage` does. A job's exception comes back as itself
(or as :class:`StageError` with its message, if it cannot be pickled); a job that
dies (killed, out of memory) is a :class:`StageError` that says so.
"""
from __future__ import annotations

import gc
import importlib
import os
import pickle
import select
import shutil
import signal
import struct
import sys
import tempfile
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from functools import partial
from itertools import count
from typing import Callable, Iterable, Mapping, Sequence

__all__ = ["start", "run", "stop", "cores", "in_thread", "side_by_side", "map_side_by_side", "map_in_turn", "frozen_for_fork", "StageError",
           "PRELOAD"]

# What the zygote imports while it waits for jobs, in the order the stages need it,
# in steps of at most some 60 ms (a job that arrives waits for the step under way):
# the heavy packages' large parts first, then the modules that use them.
PRELOAD = ("pyarrow.parquet", "pyarrow.dataset", "pyarrow.pandas_compat", "pandas.io.parquet", "python_calamine",
           "pandas.io.excel", "typeguard", "pandera.dtypes", "pandera.engines.numpy_engine",
           "pandera.engines.pandas_engine", "pandera.typing", "pandera", "evaluation.schemas",
           "pandera.backends.pandas.register", "pandera.backends.pandas.builtin_checks",
           "evaluation.costs", "evaluation.fidelity", "evaluation.measures", "numpy.f2py", "scipy._lib._array_api",
           "scipy.special", "scipy.linalg", "scipy.sparse.linalg", "scipy.optimize._linprog", "scipy.spatial",
           "scipy.optimize", "evaluation.stats", "evaluation.analyses", "scipy.optimize._linprog_highs", "highspy",
           "evaluation.disclosure", "matplotlib", "matplotlib.colors", "matplotlib.text",
           "matplotlib.backends.backend_agg", "matplotlib.table", "matplotlib.axes", "mpl_toolkits.mplot3d",
           "matplotlib.figure", "evaluation.figures", "multiprocessing.pool", "jinja2", "evaluation.report",
           "evaluation.report.html", "evaluation.report.docx", "lxml.etree", "docx.oxml", "docx", "openpyxl.cell",
           "openpyxl", "openpyxl.packaging.manifest", "evaluation.report.xlsx")

_HEADER = struct.Struct("!Q")


class StageError(RuntimeError):
    """A stage failed in its process with an exception that cannot travel back as
    itself, or its process died."""


def _write(fd: int, payload: bytes) -> None:
    data = _HEADER.pack(len(payload)) + payload
    while data:
        data = data[os.write(fd, data):]


def _read(fd: int) -> bytes | None:
    """One length-prefixed message, or None at the end of the pipe."""
    def exactly(n: int) -> bytes | None:
        parts = []
        while n:
            chunk = os.read(fd, n)
            if not chunk:
                return None
            parts.append(chunk)
            n -= len(chunk)
        return b"".join(parts)

    header = exactly(_HEADER.size)
    if header is None:
        return None
    return exactly(_HEADER.unpack(header)[0])


class _Zygote:
    """The Snakemake side: sends jobs to the zygote and hands back their outcomes."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="evaluation-jobs-")
        requests_r, self.requests = os.pipe()
        self.results, results_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the zygote
            try:
                os.close(self.requests)
                os.close(self.results)
                _serve(requests_r, results_w, self.folder)
            finally:
                os._exit(0)
        os.close(requests_r)
        os.close(results_w)
        self.pid = pid
        self.ids = count()
        self.futures: dict[int, Future] = {}
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._collect, name="evaluation-jobs", daemon=True)
        self.reader.start()

    def submit(self, *job) -> Future:
        future: Future = Future()
        with self.lock:
            number = next(self.ids)
            self.futures[number] = future
            _write(self.requests, pickle.dumps((number, job)))
        return future

    def _collect(self) -> None:
        while True:
            message = _read(self.results)
            if message is None:  # the zygote is gone: nothing more will come back
                break
            number, status = pickle.loads(message)
            with self.lock:
                future = self.futures.pop(number)
            path = os.path.join(self.folder, f"{number}.pickle")
            try:
                with open(path, "rb") as fh:
                    ok, value = pickle.load(fh)
                os.remove(path)
            except (OSError, EOFError, pickle.UnpicklingError):
                ok, value = False, StageError(f"the job's process ended without a result ({status})")
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
        with self.lock:
            pending, self.futures = self.futures, {}
        for future in pending.values():
            future.set_exception(StageError("the worker processes ended before the job did"))

    def close(self) -> None:
        os.close(self.requests)  # the zygote finishes the jobs it runs, then exits
        os.waitpid(self.pid, 0)
        self.reader.join()
        os.close(self.results)
        shutil.rmtree(self.folder, ignore_errors=True)


def _serve(requests: int, results: int, folder: str) -> None:
    """The zygote: fork a process per job; import :data:`PRELOAD` while idle; report
    each job's end. Ends when the request pipe closes and its jobs are done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the jobs; the zygote ends with its pipe
    # pandera loads hypothesis (when installed, as for the tests) for its data-generating
    # strategies, which no stage uses: marked absent here, for the zygote and its jobs
    # (0.07 s of import in each process that loads pandera before the zygote has)
    sys.modules.setdefault("hypothesis", None)
    to_import = list(PRELOAD)
    running: dict[int, int] = {}  # pid -> job number
    ends: dict[int, int] = {}  # pid -> a descriptor readable when the job's process has ended (Linux)
    open_pipe = True
    while open_pipe or running:
        # wait for a job or for the end of one (without a pidfd: look every 20 ms)
        timeout = 0 if to_import else (0.02 if len(ends) < len(running) else None)
        readable, _, _ = select.select(([requests] if open_pipe else []) + list(ends.values()), [], [], timeout)
        if requests in readable:
            message = _read(requests)
            if message is None:
                open_pipe = False
            else:
                number, job = pickle.loads(message)
                gc.freeze()  # the job's collections leave the zygote's objects (and their pages) alone
                pid = os.fork()
                if pid == 0:
                    _job_process(number, job, requests, results, folder)
                running[pid] = number
                try:
                    ends[pid] = os.pidfd_open(pid)
                except (AttributeError, OSError):
                    pass
        elif to_import and not readable:
            try:
                importlib.import_module(to_import.pop(0))
            except ImportError:
                pass
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            if pid in ends:
                os.close(ends.pop(pid))
            _write(results, pickle.dumps((running.pop(pid), os.waitstatus_to_exitcode(status))))


def _outcome(task: Callable[[], object]) -> tuple[bool, object]:
    """``(True, result)``, or ``(False, exception)``: the exception itself when it can
    be pickled, else a :class:`StageError` with its message."""
    try:
        return True, task()
    except BaseException as exc:
        try:
            pickle.loads(pickle.dumps(exc))
            return False, exc
        except Exception:
            return False, StageError(f"{type(exc).__name__}: {exc}")


@contextmanager
def frozen_for_fork():
    """Fork inside this block: the objects that exist now are moved out of reach of
    the garbage collector (``gc.freeze``), so that a child's collections do not write
    to them, which would copy every page of the parent's heap into the child (0.1 s
    per child for the figure stack). A process that had nothing frozen gets its
    collector back as it was when the block ends; a job's process (frozen by the
    zygote, and short-lived) stays frozen."""
    had_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not had_frozen:
            gc.unfreeze()


def _fork_task(task: Callable[[], object]) -> tuple[int, int]:
    """Run ``task`` in a forked process that sends its outcome back through a pipe:
    (pid, the pipe's read end)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _child(lambda: _write(write_end, pickle.dumps(_outcome(task))))
    os.close(write_end)
    return pid, read_end


def _child(body: Callable[[], object]) -> None:
    """The end of a forked process: run ``body``, flush, and exit (status 1 if ``body``
    failed) without running the parent's exit handlers."""
    code = 0
    try:
        body()
    except BaseException:
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def cores() -> int:
    """The cores this process may run on (a cluster job's share, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def in_thread(func: Callable, *args) -> Future:
    """``func(*args)`` started in a thread of its own; the Future gives its result, or
    raises its exception. For work that lets go of the interpreter (Arrow writing a
    file, hashing one) while this thread goes on; wait for it before forking."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(func(*args))
        except BaseException as exc:  # raised by whoever asks the future
            future.set_exception(exc)

    threading.Thread(target=run, name=getattr(func, "__name__", "work")).start()
    return future


def side_by_side(*tasks: Callable[[], object]) -> list:
    """Run independent tasks at once and return their results in order: the first
    task in this process, every other in a process forked from it (a stage's writers,
    the disclosure audits of separate models; each bound to one core). Results come
    back pickled. Waits for all; the first exception (in the order given) is raised.
    Runs the tasks one after the other where forking is not safe (threads) or possible."""
    if len(tasks) < 2 or not sys.platform.startswith("linux") or threading.active_count() > 1:
        return [task() for task in tasks]
    sys.stdout.flush()
    sys.stderr.flush()
    with frozen_for_fork():
        children = [_fork_task(task) for task in tasks[1:]]
    outcomes = [_outcome(tasks[0])]
    for pid, read_end in children:
        message = _read(read_end)
        os.close(read_end)
        _, status = os.waitpid(pid, 0)
        outcomes.append(pickle.loads(message) if message is not None else
                        (False, StageError(f"a forked task ended without a result "
                                           f"({os.waitstatus_to_exitcode(status)})")))
    for ok, value in outcomes:
        if not ok:
            raise value
    return [value for _, value in outcomes]


def map_side_by_side(func: Callable[[object], object], items: Iterable, ways: int = 2, batch: bool = False) -> list:
    """``[func(x) for x in items]``, the items dealt in turn over ``ways`` processes
    (:func:`side_by_side`): independent computations of one stage on every core.
    With ``batch``, ``func`` takes each process's list of items and returns their
    results in order (work that shares state from one item to the next)."""
    items = list(items)

    def each(some: list) -> list:
        return list(func(some)) if batch else [func(x) for x in some]

    parts = side_by_side(*(partial(each, items[k::ways]) for k in range(min(ways, len(items)))))
    out: list = [None] * len(items)
    for k, part in enumerate(parts):
        out[k::ways] = part
    return out


def map_in_turn(func: Callable[[object], object], items: Iterable, ways: int = 2) -> list:
    """``[func(x) for x in items]`` over ``ways`` processes (:func:`side_by_side`) that
    each take the next item as soon as they are done with one: work of uneven and
    unknown size (a stage's analyses) comes out even when it is given largest first.
    The first exception, in the order of the processes, is raised."""
    import multiprocessing

    items = list(items)
    if ways < 2 or len(items) < 2:
        return [func(x) for x in items]
    try:
        taken = multiprocessing.get_context("fork").Value("q", 0)  # shared by the forked processes
    except (OSError, ValueError):  # no shared memory or no fork here: the items dealt in turn
        return map_side_by_side(func, items, ways)

    def each() -> list:
        done = []
        while True:
            with taken.get_lock():
                k = taken.value
                taken.value = k + 1
            if k >= len(items):
                return done
            done.append((k, func(items[k])))

    out: list = [None] * len(items)
    for part in side_by_side(*([each] * min(ways, len(items)))):
        for k, value in part:
            out[k] = value
    return out


def _job_process(number: int, job: tuple, requests: int, results: int, folder: str) -> None:
    """A job's own process: run it, leave its outcome in a file, exit."""
    def deliver() -> None:
        os.close(requests)
        os.close(results)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        outcome = _outcome(lambda: _job(*job))  # the same exception in the workflow, or its message
        path = os.path.join(folder, f"{number}.pickle")
        with open(path + ".part", "wb") as fh:
            pickle.dump(outcome, fh)
        os.replace(path + ".part", path)

    _child(deliver)


def _job(name: str, study, inputs, outputs, log_path: str, directory: str) -> None:
    from .stages import run_stage

    os.chdir(directory)  # the workflow's directory as the job was sent
    run_stage(name, study, inputs, outputs, log_path)


_zygote: _Zygote | None = None


def start() -> bool:
    """Fork the zygote now; False when the stages will run in the calling process
    instead (see the module notes)."""
    global _zygote
    if _zygote is not None:
        return True
    if not sys.platform.startswith("linux") or threading.active_count() > 1 or not hasattr(os, "fork"):
        return False
    sys.stdout.flush()
    sys.stderr.flush()
    _zygote = _Zygote()
    return True


def _plain(files) -> dict | list:
    """Snakemake's named lists as plain dicts (named) or lists (unnamed), to pickle."""
    named = dict(files.items()) if hasattr(files, "items") else {}
    named = {k: ([str(f) for f in v] if isinstance(v, (list, tuple)) else str(v)) for k, v in named.items()}
    return named or [str(f) for f in files]


def run(name: str, study, inputs: Mapping | Sequence, outputs: Mapping | Sequence, log_path: str) -> None:
    """Run stage ``name`` of ``study`` in a process of its own (or here, without a
    zygote) and wait for it."""
    if _zygote is None:
        from .stages import run_stage

        run_stage(name, study, inputs, outputs, log_path)
        return
    _zygote.submit(name, study, _plain(inputs), _plain(outputs), log_path, os.getcwd()).result()


def stop() -> None:
    """Let the zygote go (after the jobs it runs)."""
    global _zygote
    if _zygote is not None:
        _zygote.close()
        _zygote = None
