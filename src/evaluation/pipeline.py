"""The stages of the workflow, with their file inputs and outputs.

Each function is one Snakemake rule's work: read its inputs, call the pure
functions of the stage modules, write its outputs atomically (a temporary file
renamed into place, so a failed job never leaves a half-written file). The
Snakefile only wires these together; an analyst can call them from Python too.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterator, Mapping

import pandas as pd

from .config import Study

# The stage modules are imported inside the stage functions: a process that runs
# one stage (the figures process) then loads only what that stage needs.

__all__ = ["stage_log", "atomic_path", "run_stage", "run_ingest", "run_score", "run_analyse", "run_tables",
           "run_figures", "run_report", "run_publish", "stage_settings"]


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


def _umask() -> int:
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
    return 0o666 & ~_umask()


def source_date() -> float | None:
    """``SOURCE_DATE_EPOCH`` as a timestamp, if set: every date written is this one."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    return float(value) if value else None


def normalise_zip(path: Path) -> None:
    """Rewrite a DOCX/XLSX (a zip) with fixed entry dates and order: the same
    content gives the same bytes (``SOURCE_DATE_EPOCH``, else 1980-01-01)."""
    import zipfile

    epoch = source_date()
    stamp = time.gmtime(epoch)[:6] if epoch is not None else (1980, 1, 1, 0, 0, 0)
    stamp = max(stamp, (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    if epoch is not None:  # openpyxl stamps "modified" with the clock when it saves
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch)).encode()
        entries = [(name, re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + iso +
                                 rb"\g<2>", data) if name == "docProps/core.xml" else data)
                   for name, data in entries]
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


def _write(path: str | Path, writer: Callable[[Path], None]) -> None:
    with atomic_path(path) as tmp:
        writer(tmp)


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    _write(path, lambda p: df.to_csv(p, index=False, encoding="utf-8"))


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    _write(path, lambda p: df.to_parquet(p, index=False))


# ------------------------------------------------------------------------ stages
def run_ingest(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Exports -> responses.parquet, flow.csv, data_issues.csv (data/processed/<study>/).

    The pseudonymization key lives beside the processed data (CONTRACT section 4).
    """
    from .ingest import FLOW_COLUMNS, ISSUE_COLUMNS, InvalidInputError, ingest_study, load_id_key

    processed_dir = Path(out["responses"]).parent.parent
    try:
        result = ingest_study(study, load_id_key(processed_dir))
    except InvalidInputError as exc:  # the console may shorten the list; the log has every problem
        for problem in exc.problems:
            log.error(problem.message())
        raise
    log.info("%d input rows: %s", len(result.flow), result.flow["status"].value_counts().to_dict())
    for note in result.notes:
        log.info(note)
    if len(result.issues):
        log.warning("%d invalid values set missing (on_invalid: quarantine)", len(result.issues))
    from .schemas import responses_schema, validate

    validate(result.responses, responses_schema(study.instruments, study.group_columns, study.waves), "responses")
    write_parquet(result.responses, out["responses"])
    write_parquet(result.people, out["people"])
    inputs_json = json.dumps({"exports": result.inputs, "missing_codes": result.missing_codes,
                              "group_changes": result.group_changes}, indent=1)
    _write(out["inputs"], lambda p: p.write_text(inputs_json, encoding="utf-8"))
    write_csv(result.flow[FLOW_COLUMNS], out["flow"])
    write_csv(result.issues[ISSUE_COLUMNS], out["issues"])


def run_score(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """responses.parquet -> scores.parquet and reliability.csv."""
    from .instruments import reliability, score_responses

    responses = pd.read_parquet(inputs["responses"])
    instruments = study.instruments
    scores = score_responses(responses, instruments, ["pid", "wave", *study.group_columns])
    if "family" not in scores:
        scores.insert(2 + len(study.groups), "family", pd.Series(pd.NA, index=scores.index, dtype="string"))
    groups = list(study.groups)
    scores = scores[["pid", "wave", *groups, "family", "instrument", "scale", "score", "n_answered", "band"]]
    from .schemas import scores_schema, validate

    validate(scores, scores_schema(groups, study.waves), "scores")
    log.info("%d scores, %d empty", len(scores), int(scores["score"].isna().sum()))
    write_parquet(scores, out["scores"])
    write_csv(reliability(responses, instruments, study.waves), out["reliability"])


def run_analyse(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """scores.parquet -> pairs.parquet and the full results.csv."""
    from .measures import complete_pairs
    from .stats import results_table

    scores = pd.read_parquet(inputs["scores"])
    pairs = complete_pairs(scores, study.outcomes, study.group_columns, study.contrasts)
    a = study.analysis
    results = results_table(pairs, study.groupings, ci_level=a["ci_level"],
                            correction=a["correction"], min_n=a["min_n"])
    log.info("%d result rows, %d suppressed", len(results), int(results["suppressed"].sum()))
    write_parquet(pairs, out["pairs"])
    write_csv(results, out["results"])


def run_tables(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """The published tables, protected together (CONTRACT section 7, :mod:`.disclosure`).

    Writes results, reliability, participant flow, band shares and data issues
    (without values), and ``disclosure.json`` (which counts are hidden and why) for
    the report.
    """
    from . import disclosure, measures

    min_n = study.analysis["min_n"]
    results = pd.read_csv(inputs["results"])
    flow = pd.read_csv(inputs["flow"], dtype={"pid": "string", "source": "string"})
    scores = pd.read_parquet(inputs["scores"], columns=["pid", "wave", "instrument", "scale", "score", "band"])
    waves, contrasts = study.waves, study.contrasts
    people = measures.participation(flow, pd.read_parquet(inputs["people"]), waves)
    # invalid and duplicate rows; a wave block nobody answered is no row left out, so a
    # long and a wide export of the same answers give the same counts
    excluded = int(flow["status"].isin(["invalid", "duplicate"]).sum())
    flow_table = measures.flow_table(people, study.groupings, excluded, waves, contrasts)
    bands = measures.band_pairs(scores, study.outcomes, contrasts)
    band_table = measures.band_table(bands, list(study.outcomes), contrasts)
    published, protection = disclosure.protect_tables(
        people=people, validity=measures.validity(scores, study.outcomes, waves), bands=bands,
        group_columns=study.group_columns, groupings=study.groupings, outcomes=list(study.outcomes),
        results=results, flow=flow_table, band_shares=band_table, min_n=min_n, waves=waves, contrasts=contrasts,
        include=bool(study.spec.get("include")))
    # counts in no linear relation with the others: hidden when small
    if disclosure.is_small(excluded, min_n):
        published["participant_flow"].loc[0, "excluded_rows"] = None
    rel = pd.read_csv(inputs["reliability"])
    small = disclosure.is_small(rel["n"], min_n)
    rel = rel.astype({c: object for c in ("n", "alpha", "omega")})
    rel.loc[small, ["n", "alpha", "omega"]] = None
    rel["suppressed"] = small.to_numpy()
    published["reliability"] = rel
    for name, frame in published.items():
        write_csv(neutralise_csv(frame), out[name])
    write_csv(published_issues(pd.read_csv(inputs["issues"], dtype=str), study), out["issues"])
    reasons = {name: {"rows": {str(r): why for r, why in protection.table(name)[0].items()},
                      "cells": [[r, c, why] for (r, c), why in protection.table(name)[1].items()]}
               for name in ("results", "participant_flow", "band_shares")}
    _write(out["disclosure"], lambda p: p.write_text(json.dumps(reasons, indent=1, sort_keys=True)))
    log.info("published %d result rows; %d counts hidden (%d rounds of complementary suppression)",
             len(results), len(protection.hidden), protection.rounds)


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


def published_issues(issues: pd.DataFrame, study: Study) -> pd.DataFrame:
    """Data issues as published: the export by its position, never the value (CONTRACT section 7)."""
    from .privacy import mask_cpr

    position = {mask_cpr(e["path"]): f"export {i}" for i, e in enumerate(study.spec["exports"], start=1)}
    out = issues[["source", "line", "column", "rule"]].copy()
    out["source"] = out["source"].map(lambda s: position.get(s, "export"))
    return out


def run_figures(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Every figure as PNG (and SVG with ``figures: {svg: true}``), from published tables only."""
    from . import figures

    results = read_published_csv(inputs["results"])
    counts = read_published_csv(inputs["flow"])
    bands = read_published_csv(inputs["bands"])
    directory = Path(out["figures"])
    svg = bool(study.analysis["figures"]["svg"])
    written = figures.save_figure(figures.flow_plot(study, counts, results), directory / "flow", svg)
    for outcome in study.outcomes:
        written += figures.save_figure(figures.means_plot(study, outcome, results), directory / f"means_{outcome}",
                                       svg)
        written += figures.save_figure(figures.forest_plot(study, outcome, results),
                                       directory / f"forest_{outcome}", svg)
        band_figure = figures.band_plot(study, outcome, bands)
        if band_figure is not None:
            written += figures.save_figure(band_figure, directory / f"bands_{outcome}", svg)
    log.info("wrote %d figure files", len(written))


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def exports_sha256(study: Study) -> list[str]:
    """SHA-256 of every export of a study ("missing" for one that does not exist)."""
    return [file_sha256(e["path"]) if Path(e["path"]).is_file() else "missing" for e in study.spec["exports"]]


def create_id_key(path: str | Path, log_path: str | Path | None = None) -> None:
    """The workflow's ``id_key`` rule: make sure the key file exists (see ``load_id_key``)."""
    from .ingest import load_id_key

    if not os.environ.get("EVALUATION_ID_KEY"):
        load_id_key(Path(path).parent)
    if log_path:
        with stage_log(log_path, "id_key") as log:
            log.info("pseudonymization key in %s (mode %o)", path, Path(path).stat().st_mode & 0o777)


_PRESENTATION = ("label",)  # keys that only change how a thing is shown


def _without(mapping: Mapping, keys: tuple[str, ...]) -> dict:
    return {k: v for k, v in mapping.items() if k not in keys}


def stage_settings(study: Study, stage: str) -> str:
    """The settings one stage reads, as JSON: a rule re-runs only when they change
    (a new report language re-runs the figures and the report, not ingest)."""
    spec, a = study.spec, study.analysis
    groups = {g: _without(v, _PRESENTATION) for g, v in study.groups.items()}
    outcomes = {o: {"instrument": v["instrument"], "scale": v["scale"]} for o, v in study.outcomes.items()}
    reads = {
        "ingest": {"exports": spec["exports"], "columns": spec["columns"], "waves": spec["waves"],
                   "groups": {g: _without(v, ("reference",)) for g, v in groups.items()},
                   "include": spec.get("include"), "missing": spec.get("missing"),
                   "instruments": spec["instruments"], "on_invalid": a["on_invalid"]},
        "score": {"instruments": spec["instruments"], "missing": spec.get("missing"), "groups": list(groups),
                  "waves": list(spec["waves"]),
                  "family": "family" in spec["columns"]},
        "analyse": {"outcomes": outcomes, "groupings": study.groupings, "contrasts": study.contrasts,
                    "ci_level": a["ci_level"],
                    "correction": a["correction"], "min_n": a["min_n"]},
        "tables": {"outcomes": outcomes, "groupings": study.groupings, "groups": list(groups),
                   "waves": study.waves, "contrasts": study.contrasts,
                   "include": bool(spec.get("include")), "min_n": a["min_n"], "exports": len(spec["exports"])},
    }
    if stage in reads:
        return json.dumps(reads[stage], ensure_ascii=False, sort_keys=True, default=str)
    # figures and report: everything they show
    return json.dumps({"study": spec, "analysis": a}, ensure_ascii=False, sort_keys=True, default=str)


def write_settings(study: Study, path: str | Path, log_path: str | Path | None = None) -> None:
    """The study's validated settings as JSON (what the figures process reads);
    exports by position only, as a file name may hold a CPR number."""
    spec = {**study.spec, "exports": [{"path": f"export {k}"} for k in range(1, len(study.spec["exports"]) + 1)]}
    text = json.dumps({"study": spec, "analysis": study.analysis}, ensure_ascii=False, default=str)
    _write(path, lambda p: p.write_text(text, encoding="utf-8"))
    if log_path:
        with stage_log(log_path, "settings") as log:
            log.info("%d characters of settings", len(text))


def provenance(study: Study, inputs: list[dict]) -> dict:
    """What a reviewer needs to reproduce the report: inputs (by position and
    SHA-256 of the bytes read), config, versions, time (``SOURCE_DATE_EPOCH`` if set)."""
    packages = ["evaluation", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "snakemake"]
    versions = {}
    for p in packages:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = "not installed"
    epoch = source_date()
    stamp = time.gmtime(epoch) if epoch is not None else time.localtime()
    spec = dict(study.spec)  # exports by position: a file or sheet name may identify someone
    spec["exports"] = [{"export": f"export {k}", **{key: v for key, v in e.items() if key not in ("path", "sheet")}}
                       for k, e in enumerate(study.spec["exports"], start=1)]
    return {
        "inputs": [{"path": i["export"], "sha256": i["sha256"]} for i in inputs],
        "config": json.dumps({"study": study.id, **spec, "analysis": study.analysis}, ensure_ascii=False, indent=1,
                             default=str),
        "versions": versions,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z" if epoch is None else "%Y-%m-%d %H:%M:%S UTC", stamp),
    }


def run_report(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """The report as self-contained HTML, Word (report.docx) and Excel (tables.xlsx)."""
    from .report import build_content, render_html, write_docx, write_xlsx

    tables = {"results": read_published_csv(inputs["results"]),
              "reliability": read_published_csv(inputs["reliability"]),
              "participant_flow": read_published_csv(inputs["flow"]),
              "band_shares": read_published_csv(inputs["bands"]),
              "data_issues": read_published_csv(inputs["issues"], dtype=str)}
    disclosure = json.loads(Path(inputs["disclosure"]).read_text())
    ingest_facts = json.loads(Path(inputs["inputs"]).read_text())
    content = build_content(
        study, results=tables["results"], reliability=tables["reliability"], flow=tables["participant_flow"],
        bands=tables["band_shares"], issues=tables["data_issues"], disclosure=disclosure, ingest=ingest_facts,
        scores=pd.read_parquet(inputs["scores"], columns=["instrument", "scale", "score", "n_answered"]))
    figure_dir = Path(inputs["figures"])
    prov = provenance(study, ingest_facts["exports"])
    html = render_html(content, figure_dir, prov)
    _write(out["html"], lambda p: p.write_text(html, encoding="utf-8"))
    _write(out["docx"], lambda p: (write_docx(content, figure_dir, prov, p), normalise_zip(p)))
    _write(out["xlsx"], lambda p: (write_xlsx(content, tables, p), normalise_zip(p)))
    log.info("report written: %d characters of HTML, report.docx, tables.xlsx", len(html))


PUBLICATION_FILES = ["tables/results.csv", "tables/reliability.csv", "tables/participant_flow.csv",
                     "tables/band_shares.csv", "data_issues.csv", "figures", "report.html", "report.docx",
                     "tables.xlsx"]


def run_publish(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Move the study's publication into ``reports/<study>/`` as a whole.

    The files are copied into a staging folder beside it, checked once more for
    anything that looks like a CPR number, and swapped in by renames: a failure
    or a kill at any point leaves the last complete publication, or (between the
    two renames) none, never a mix. Leftovers of an interrupted run are removed.
    """
    import shutil

    from .privacy import scan_publication

    marker = Path(out[0])
    reports = marker.parent
    source = Path(inputs[0]).parents[len(Path(PUBLICATION_FILES[0]).parts) - 1]
    target = reports / study.id
    reports.mkdir(parents=True, exist_ok=True)
    for leftover in reports.glob(f".{study.id}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in reports.glob(f".{study.id}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=reports, prefix=f".{study.id}.staging-"))
    try:
        for name in PUBLICATION_FILES:
            src, dst = source / name, staging / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        found = scan_publication(staging)
        if found:
            raise RuntimeError("the publication holds what looks like a CPR number, so it was not published: "
                               + "; ".join(found[:5]))
        os.chmod(staging, 0o777 & ~_umask())  # mkdtemp makes it private
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(dir=reports, prefix=f".{study.id}.old-"))
            os.rename(target, old / study.id)
        os.rename(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _write(marker, lambda p: p.write_text(json.dumps(
        {name: file_sha256(target / name) for name in PUBLICATION_FILES if (target / name).is_file()},
        indent=1, sort_keys=True)))
    log.info("published reports/%s", study.id)


STAGES = {"ingest": run_ingest, "score": run_score, "analyse": run_analyse, "tables": run_tables,
          "figures": run_figures, "report": run_report, "publish": run_publish}


def run_stage(name: str, study: Study, inputs: Mapping[str, str], outputs: Mapping[str, str],
              log_path: str) -> None:
    """Run one stage of one study with its own log file (what every rule calls)."""
    with stage_log(log_path, name) as log:
        named_in = dict(inputs.items()) if hasattr(inputs, "items") else {}
        named_out = dict(outputs.items()) if hasattr(outputs, "items") else {}
        STAGES[name](study, named_in or list(inputs), named_out or list(outputs), log)
