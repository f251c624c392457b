"""Files: atomic writes, stage logs, published CSVs and file hashes.

Every write goes to a temporary file that is renamed into place, so a failed job
never leaves a half-written file. Nothing here knows a study or a statistic.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

__all__ = ["stage_log", "atomic_path", "file_mode", "umask", "source_date", "write_zip", "write_with",
           "write_csv", "write_parquet", "write_text", "neutralise_csv", "read_published_csv", "file_sha256"]


@contextlib.contextmanager
def stage_log(path: str | Path, name: str) -> Iterator[logging.Logger]:
    """A logger that writes to the rule's ``log:`` file (one per job, thread-safe)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger(f"evaluation.{name}.{id(object())}")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    start = time.perf_counter()
    try:
        yield logger
    except Exception as exc:
        logger.error("%s failed: %s", name, exc)
        raise
    else:
        logger.info("%s done in %.2f s", name, time.perf_counter() - start)
    finally:
        handler.close()
        logger.removeHandler(handler)


def umask() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: read it by setting it (not thread-safe, but rare)
    os.umask(mask)
    return mask


def file_mode() -> int:
    """The mode a new file gets under the process umask (0644 under 022, 0600 under 077)."""
    return 0o666 & ~umask()


def source_date() -> float | None:
    """``SOURCE_DATE_EPOCH`` as a timestamp, if set: every date written is this one."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return float(value) if value else None


def write_zip(path: Path, entries: Sequence[tuple[str, bytes]]) -> None:
    """``entries`` (name, bytes), in this order, as the zip ``path`` (a DOCX or XLSX)
    with fixed entry dates (``SOURCE_DATE_EPOCH``, else 1980-01-01), so that the same
    content gives the same bytes; written next to it, then moved into place."""
    import zipfile

    epoch = source_date()
    stamp = time.gmtime(epoch)[:6] if epoch is not None else (1980, 1, 1, 0, 0, 0)
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    if epoch is not None:  # openpyxl stamps "modified" with the clock when it saves
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)).encode()
        entries = [(name, re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + iso +
                                 rb"\g<2>", data) if name == "docProps/core.xml" else data)
                   for name, data in entries]
    path = Path(path)
    tmp = path.with_name(path.name + ".zip-tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, data)
    os.replace(tmp, path)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, file_mode())  # mkstemp makes files private; outputs follow the umask
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_with(path: str | Path, writer: Callable[[Path], None]) -> None:
    with atomic_path(path) as tmp:
        writer(tmp)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """``df.to_csv(path, index=False)``, atomically; a large table of text, whole
    numbers and floats is written by Arrow's CSV writer, to the same bytes (flow.csv of
    10^5 respondents in four exports: 1.6 s -> 0.15 s; the R kit's 400,000 pairs:
    0.9 s -> 0.2 s)."""
    write_with(path, lambda p: _write_csv_fast(df, p) or df.to_csv(p, index=False, encoding="utf-8"))


_FAST_CSV_ROWS = 10_000
_NEEDS_QUOTES = r'[,"\r\n]'


def _write_csv_fast(df: pd.DataFrame, path: Path) -> bool:
    """Write ``df`` as pandas would, with Arrow, when that gives the same bytes for
    certain: no index, text, integer and float columns only (other kinds are formatted
    differently), no text needing quotes (Arrow would quote every text), more than one
    column (a row of one empty text is ``""`` in pandas). A float column is handed to
    Arrow as the text pandas writes for it: numpy's ``astype(str)`` of the numbers and
    nothing for a missing one (pandas' ``get_values_for_csv`` without a float format).
    Returns whether it wrote; small tables are left to pandas."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    if len(df) < _FAST_CSV_ROWS or len(df.columns) < 2 or not df.columns.is_unique:
        return False
    columns = {}
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_integer_dtype(column) and not pd.api.types.is_extension_array_dtype(column):
            columns[str(name)] = column.to_numpy()
        elif column.dtype.kind == "f" and not pd.api.types.is_extension_array_dtype(column):
            numbers = column.to_numpy()
            text = numbers.astype(str)
            text[np.isnan(numbers)] = ""
            columns[str(name)] = pa.array(text, type=pa.string())
        elif pd.api.types.is_string_dtype(column):
            text = column.astype("string[pyarrow]")
            if text.str.contains(_NEEDS_QUOTES, regex=True).any():
                return False
            columns[str(name)] = pa.array(text.array)
        else:
            return False
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([str(c) for c in df.columns])
    with open(path, "wb") as fh:
        fh.write(header.getvalue().encode("utf-8"))
        pacsv.write_csv(pa.table(columns), fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return True


def give_back_memory() -> None:
    """Return the memory freed so far to the system (glibc's ``malloc_trim``; elsewhere
    nothing). Reading a national export leaves a gigabyte of freed Arrow buffers that the
    C library keeps; every later array then adds to the process's peak instead of using
    them (10^6 ingest: 1.5 -> 0.5 GB resident after the read, in 0.03 s)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.lru_cache(maxsize=None)
def _malloc_trim():
    """glibc's ``malloc_trim``, or None (another C library)."""
    import ctypes

    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


class ParquetColumns:
    """A Parquet file's columns, each read when asked for: ``frame["a"]`` (a Series),
    ``frame[["a", "b"]]`` (a DataFrame), ``"a" in frame`` and ``len(frame)``, so that a
    step that needs a few columns at a time never holds the whole table (the score stage
    reads one questionnaire's items at a time). A file of fewer than ``whole_below``
    cells is read whole, once, at the first access (a small study's hundred column reads
    cost more than the table's memory)."""

    def __init__(self, path: str | Path, whole_below: int = 5_000_000):
        import pyarrow.parquet as pq

        self.path = str(path)
        meta = pq.ParquetFile(self.path).metadata
        self.columns = pd.Index([meta.schema.column(k).name for k in range(meta.num_columns)])
        self._rows = meta.num_rows
        self._whole = meta.num_rows * meta.num_columns < whole_below
        self._frame: pd.DataFrame | None = None

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, name) -> bool:
        return name in self.columns

    def __getitem__(self, key):
        if self._whole:
            if self._frame is None:
                self._frame = pd.read_parquet(self.path)
            return self._frame[key if isinstance(key, str) else list(key)]
        if isinstance(key, str):
            return pd.read_parquet(self.path, columns=[key])[key]
        return pd.read_parquet(self.path, columns=list(key))


def write_parquet(df: pd.DataFrame, path: str | Path, check: Callable[[], object] | None = None) -> None:
    """``df`` as Parquet, atomically: one row group (each categorical column's categories
    are stored once, not once per million rows: a national scores table was 725 MB with
    the default row groups, 200 MB with one) and no column statistics (nothing reads
    them; computing them was half of writing 24 million score rows).

    With ``check`` (a function that raises when ``df`` must not be written), the file
    is written by a thread while ``check()`` runs here, and moved into place only once
    ``check`` has returned; when it raises, nothing is written. Arrow lets go of the
    interpreter while it encodes, so the two share the time (a 10^5 study's scores:
    0.39 s one after the other, 0.27 s side by side). ``check`` must only read ``df``.
    """
    def write(p: Path) -> None:
        df.to_parquet(p, index=False, row_group_size=max(len(df), 1), write_statistics=False)

    if check is None:
        write_with(path, write)
        return
    from .jobs import in_thread

    with atomic_path(path) as tmp:
        written = in_thread(write, tmp)
        try:
            check()
        finally:
            written.exception()  # waits: the temporary file is not removed under the writer's feet
        written.result()  # the writer's own error, if any


def neutralise_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (= + - @) get a leading '."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in "=+-@" else v)
    return out


def read_published_csv(path: str | Path, **kwargs) -> pd.DataFrame:
    """A published table with the ' that :func:`neutralise_csv` put before = + - @ taken off."""
    frame = pd.read_csv(path, **kwargs)
    for c in frame.columns:
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
            frame[c] = frame[c].map(lambda v: v[1:] if isinstance(v, str) and v[:1] == "'" and v[1:2] in
                                    ("=", "+", "-", "@") else v)
    return frame


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_text(path: str | Path, text: str) -> None:
    write_with(path, lambda p: p.write_text(text, encoding="utf-8"))
