"""What each rule of the workflow calls: read its inputs, call the library, write its
outputs atomically. No statistics and no rules live here; an analyst can call these
functions from Python too (``evaluation.pipeline`` is the same, for older scripts).

Stage modules are imported inside the stage functions: a process that runs one stage
(the figures process) then loads only what that stage needs.
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Mapping

import pandas as pd

from .config import Study
from .jobs import cores
from .io import (ParquetColumns, file_sha256, give_back_memory, neutralise_csv, source_date,
                 stage_log, umask, write_csv, write_parquet, write_text, write_with)

__all__ = ["run_stage", "run_ingest", "run_score", "run_analyse", "run_tables", "run_figures", "run_report",
           "run_publish", "stage_settings", "write_settings", "provenance", "create_id_key", "exports_sha256",
           "input_files",
           "analysis_names", "published_tables", "publication_files", "PUBLICATION_FILES", "STAGES"]


def analysis_names() -> list[str]:
    """Every analysis whose full table the analyse stage stores (data/processed/<study>/<name>.csv)."""
    from .analyses import ANALYSES

    return [a.NAME for a in ANALYSES if getattr(a, "STORED", True)]


def person_tables() -> list[str]:
    """The analyses that keep a per-person table (``<NAME>_persons.parquet``)."""
    from .analyses import with_persons

    return [a.NAME for a in with_persons()]


def published_tables() -> list[str]:
    """Every analysis's published table, relative to the publication folder."""
    from .analyses import ANALYSES, published_path

    return [published_path(a) for a in ANALYSES]


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

    schema = responses_schema(study.instruments, study.group_columns, study.waves)
    write_parquet(result.responses, out["responses"], check=lambda: validate(result.responses, schema, "responses"))
    write_parquet(result.people, out["people"])
    inputs_json = json.dumps({"exports": result.inputs, "missing_codes": result.missing_codes,
                              "group_changes": result.group_changes}, indent=1)
    write_text(out["inputs"], inputs_json)
    write_csv(result.flow[FLOW_COLUMNS], out["flow"])
    write_csv(result.issues[ISSUE_COLUMNS], out["issues"])
    if "costs" in out:
        write_parquet(result.cost_items, out["costs"])
    if "fidelity" in out:
        write_parquet(result.fidelity, out["fidelity"])


def run_score(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """responses.parquet -> scores.parquet: every scale score per person and wave; with
    output ``counts``, their numbers by scale and items answered (scoring_counts.csv)."""
    from .instruments import as_categories, score_responses
    from .schemas import scores_schema, validate

    from .measures import scoring_counts, with_baseline_bands

    # the responses' columns read as scoring needs them: one questionnaire's items at a time
    responses = ParquetColumns(inputs["responses"])
    scores = score_responses(responses, study.instruments, ["pid", "wave", *study.group_columns])
    scores = with_baseline_bands(scores, scores, study)
    if "family" not in scores:
        scores.insert(2 + len(study.groups), "family", as_categories(pd.Series(pd.NA, index=scores.index, dtype="str")))
    groups = list(study.groups)
    scores = scores[["pid", "wave", *groups, "family", "instrument", "scale", "score", "n_answered", "band"]]
    log.info("%d scores, %d empty", len(scores), int(scores["score"].isna().sum()))
    write_parquet(scores, out["scores"], check=lambda: validate(scores, scores_schema(groups, study.waves), "scores"))
    if "counts" in out:  # what the report says of prorating, without reading the scores again
        write_csv(scoring_counts(scores), out["counts"])


def _data(study: Study, inputs: Mapping[str, str], needs: set[str]):
    """The processed data the analyses need, read once (validity and band pairs from
    the analyse stage's files when ``inputs`` names them, else made from the scores)."""
    from . import measures
    from .analyses import Data

    data = Data()
    stored = {name for name in ("band_pairs", "validity") if name in inputs}
    for name in stored & needs:
        setattr(data, name, pd.read_parquet(inputs[name]))
    scores = None
    from_scores = (needs - stored) & {"scores", "pairs", "band_pairs", "validity"}
    if from_scores or (needs & {"people"} and study.baseline_bands):
        scores = pd.read_parquet(inputs["scores"])  # text columns as categories (written so)
    if "pairs" in needs:
        data.pairs = measures.complete_pairs(scores, study.outcomes, study.person_columns, study.contrasts)
    if "band_pairs" in needs - stored:
        data.band_pairs = measures.band_pairs(scores, study.outcomes, study.contrasts)
    if "validity" in needs - stored:
        data.validity = measures.validity(scores, study.outcomes, study.waves)
    if needs & {"people", "flow"}:
        people = pd.read_parquet(inputs["people"])
        if study.baseline_bands:
            people = measures.with_baseline_bands(people, scores, study)
    if "scores" in needs:
        data.scores = scores
    elif scores is not None:  # what the analyses read of the scores is made: the table goes
        del scores  # before the flow is read (at 10^6 respondents: 0.4 GB less at the peak)
        give_back_memory()
    if needs & {"people", "flow"}:
        data.flow = pd.read_csv(inputs["flow"], dtype={"pid": "string", "source": "string"})
        data.people = measures.participation(data.flow, people, study.waves)
    if "responses" in needs:
        # read a questionnaire's columns at a time, as the reliabilities need them (all of
        # them at once were a gigabyte at 10^6 respondents, in each analysing process)
        data.responses = ParquetColumns(inputs["responses"])
    if "issues" in needs:
        data.issues = pd.read_csv(inputs["issues"], dtype=str)
    if "cost_items" in needs:
        from .costs import COST_COLUMNS

        data.cost_items = _sheet_rows(inputs, "costs", study.costs, COST_COLUMNS)
    if "fidelity" in needs:
        data.fidelity = _sheet_rows(inputs, "fidelity", study.fidelity, ["unit", "element", "delivered"])
    return data


def _sheet_rows(inputs: Mapping[str, str], name: str, configured, columns: list[str]) -> pd.DataFrame:
    """Ingest's rows of a cost or fidelity sheet (input ``name``); none when the study has
    no such sheet, an error when it has one and the caller did not pass them."""
    if name in inputs:
        return pd.read_parquet(inputs[name])
    if configured:
        raise ValueError(f"the {name} analyses need ingest's rows of the {name} sheet (input {name!r})")
    return pd.DataFrame(columns=columns)


PARALLEL_PAIRS = 20_000  # pair rows from which a stage deals its independent work over two cores


def run_analyse(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Every analysis's full, unrounded table (data/processed/<study>/<name>.csv), the
    complete pairs of every contrast (pairs.parquet), and with outputs ``validity``
    and ``band_pairs`` those tables of :mod:`evaluation.measures` for the tables stage
    (which then need not read the scores again).

    A study of at least :data:`PARALLEL_PAIRS` pair rows has its analyses done on two
    cores, heaviest first (an analysis's ``COST``, default 1), each core taking the
    next when done. The analyses that read only ingest's responses (the reliabilities)
    do not wait for the pairs: a process forked at the start does them while this one
    reads the scores and makes the pairs (at 10^5 respondents each takes 0.6 s)."""
    from .analyses import ANALYSES, table_columns, with_persons
    from .jobs import map_in_turn, side_by_side

    stored = [a for a in ANALYSES if getattr(a, "STORED", True)]
    paths = dict(zip([a.NAME for a in stored], out["analyses"]))
    made = {name for name in ("validity", "band_pairs") if name in out}  # for the tables stage
    early = [a for a in stored if set(a.NEEDS) <= EARLY_NEEDS] if _parallel(inputs) else []
    rest = [a for a in stored if a not in early]

    def compute(data, analysis) -> str:
        path = paths[analysis.NAME]
        table = analysis.compute(data, study) if analysis.applies(study) else pd.DataFrame(
            columns=table_columns(analysis, study))
        write_csv(table, path)
        return f"{analysis.NAME}: {len(table)} rows"

    def persons(data, analysis, path) -> str:
        people = analysis.persons(data, study) if analysis.applies(study) else pd.DataFrame(
            columns=["pid", "outcome", "from_wave", "to_wave"])
        write_parquet(people, path)
        return f"{analysis.NAME} persons: {len(people)} rows"

    def written(frame: pd.DataFrame, path: str) -> str:
        write_parquet(frame, path)
        return f"{Path(path).name}: {len(frame)} rows"

    def analyses() -> list[str]:
        needs = {n for a in rest for n in a.NEEDS} | {"pairs"}
        data = _data(study, inputs, needs | made)
        for name in sorted(made):  # written now; what no analysis reads goes before they start
            write_parquet(getattr(data, name), out[name])
            if name not in needs:
                setattr(data, name, None)
        # every table is its own piece of work, each written where it is made; the largest first
        work = [(getattr(a, "COST", 1), partial(compute, data, a)) for a in rest]
        work += [(1, partial(persons, data, a, path)) for a, path in zip(with_persons(), out.get("persons", []))]
        work += [(1, partial(written, data.pairs, out["pairs"]))]
        work = [task for _, task in sorted(work, key=lambda w: -w[0])]  # stable: ties keep their order
        # a large study's on two cores, each taking the next piece when done; a small one's
        # in this process, where a fork would cost more than it saves
        ways = 2 if len(data.pairs) >= PARALLEL_PAIRS and cores() > 1 else 1
        if ways > 1:
            give_back_memory()  # what reading left behind is not inherited by the forked worker
        return map_in_turn(lambda task: task(), work, ways)

    def first() -> list[str]:
        data = _data(study, inputs, {n for a in early for n in a.NEEDS})
        return [compute(data, a) for a in early]

    lines, early_lines = side_by_side(analyses, first) if early else (analyses(), [])
    for line in early_lines + lines:
        log.info(line)


EARLY_NEEDS = {"responses"}  # what an analysis may need to be done before the pairs are made


def _parallel(inputs: Mapping[str, str]) -> bool:
    """Whether the analyse stage works on two cores from its start: two are there, and
    the responses hold as many rows as the pairs that make a stage parallel."""
    import pyarrow.parquet as pq

    return (cores() > 1 and "responses" in inputs
            and pq.ParquetFile(inputs["responses"]).metadata.num_rows >= PARALLEL_PAIRS)


def run_reproduce(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """The reviewer's R kit in folder ``kit`` (:mod:`evaluation.reproduce`), from the
    complete pairs alone: its own job, which runs beside the tables stage."""
    from .reproduce import write_kit

    pairs = pd.read_parquet(inputs["pairs"])
    write_kit(study, pairs, out["kit"])
    log.info("reproduction kit: %d pair rows", len(pairs))


def run_tables(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Every analysis's table as published, protected together (CONTRACT section 7,
    :mod:`.disclosure`), and ``disclosure.json`` (which counts are hidden and why) for
    the report."""
    from . import disclosure
    from .analyses import ANALYSES, with_persons

    min_n = study.analysis["min_n"]
    stored = [a for a in ANALYSES if getattr(a, "STORED", True)]
    tables = {a.NAME: pd.read_csv(path) for a, path in zip(stored, inputs["analyses"])}
    # the disclosure model's facts, and what the tables made here (not stored) read
    data = _data(study, inputs, {"validity", "band_pairs", "people", "flow"}
                 | {n for a in ANALYSES if not getattr(a, "STORED", True) for n in a.NEEDS})
    for analysis in ANALYSES:
        if not getattr(analysis, "STORED", True):
            tables[analysis.NAME] = analysis.compute(data, study)
    parts = [a.partition(pd.read_parquet(path), study)
             for a, path in zip(with_persons(), inputs.get("persons", []))
             if hasattr(a, "partition") and a.applies(study)]
    published, protection = disclosure.protect_tables(
        people=data.people, validity=data.validity, bands=data.band_pairs, group_columns=study.person_columns,
        groupings=study.groupings, outcomes=list(study.outcomes), tables=tables, analyses=ANALYSES, min_n=min_n,
        study=study, waves=study.waves, contrasts=study.contrasts, include=bool(study.spec.get("include")),
        partitions=pd.concat(parts, ignore_index=True) if parts else None)
    for analysis, path in zip(ANALYSES, out["tables"]):
        write_csv(neutralise_csv(published[analysis.NAME]), path)
    reasons = {}
    for name in published:
        rows, cells = protection.table(name)
        reasons[name] = {"rows": {str(r): why for r, why in rows.items()},
                         "cells": [[int(r), c, why] for (r, c), why in cells.items()]}
    write_text(out["disclosure"], json.dumps(reasons, indent=1, sort_keys=True))
    log.info("published %d tables; %d counts hidden (%d rounds of complementary suppression)",
             len(published), len(protection.hidden), protection.rounds)


def _published(study: Study, directory: str | Path) -> dict[str, pd.DataFrame]:
    """Every published table of a study, by analysis name, from its publication folder."""
    from .analyses import ANALYSES, read_published

    return {a.NAME: read_published(a, directory) for a in ANALYSES}


def _figures_of(study: Study, tables: dict[str, pd.DataFrame]) -> dict:
    """Every figure of the study's enabled analyses: stem -> a Figure or a function that draws it."""
    from .analyses import enabled

    drawings = {}
    for analysis in enabled(study):
        draw = getattr(analysis, "figures", None)
        drawings.update(draw(tables, study) if draw else {})
    return drawings


def _in_languages(study: Study) -> list[Study]:
    """The study in each of its report languages, the first as configured."""
    return [study, *(study.in_language(lang) for lang in study.languages[1:])]


def _figure_batches(versions: list[Study], tables: dict[str, pd.DataFrame], figure_dir: Path) -> list[tuple]:
    """What :func:`evaluation.figures.drawing` draws for a study (:func:`_in_languages`):
    the first language's figures in ``figure_dir``, each further one's in ``figure_dir/<lang>``."""
    return [(_figures_of(s, tables), figure_dir / s.language if k else figure_dir, s.language)
            for k, s in enumerate(versions)]


def run_figures(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Every figure of the study from its published tables alone (``python -m
    evaluation figures``; in the workflow the report stage draws them)."""
    from . import figures

    batches = _figure_batches(_in_languages(study), _published(study, inputs["publication"]), Path(out["figures"]))
    with figures.drawing(batches, bool(study.analysis["figures"]["svg"]), workers=min(2, cores())) \
            as figures_drawn:
        log.info("wrote %d figure files", len(figures_drawn()))


def run_report(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """The report as self-contained HTML, Word (report.docx) and Excel (tables.xlsx),
    and the figures it shows (``figures/``: PNG, and SVG with ``figures: {svg: true}``),
    all from the published tables only.

    The figures are drawn by two processes while this one writes the workbook and
    the Word report's text and tables; the figures go into the Word and HTML reports
    once they are drawn. Each further language gets ``report.<lang>.html/.docx`` and
    ``figures/<lang>/``.
    """
    from . import figures
    from .analyses import Context
    from .report import build_document, render_html, write_docx, write_xlsx

    tables = _published(study, inputs["publication"])
    figure_dir = Path(out["figures"])
    versions = _in_languages(study)
    batches = _figure_batches(versions, tables, figure_dir)
    folder = Path(out["html"]).parent
    targets = [(Path(out["html"]), Path(out["docx"]))] + [
        (folder / f"report.{s.language}.html", folder / f"report.{s.language}.docx") for s in versions[1:]]
    with figures.drawing(batches, bool(study.analysis["figures"]["svg"]), workers=min(2, cores())) \
            as figures_drawn:
        hidden = json.loads(Path(inputs["disclosure"]).read_text())
        reasons = {name: ({int(r): why for r, why in d.get("rows", {}).items()},
                          {(int(r), c): why for r, c, why in d.get("cells", [])}) for name, d in hidden.items()}
        ingest_facts = json.loads(Path(inputs["inputs"]).read_text())
        counts = pd.read_csv(inputs["counts"], dtype={"instrument": str, "scale": str, "n_answered": "int64",
                                                      "valid": bool, "n": "int64"})
        docs = [build_document(Context(s, tables, reasons, ingest_facts), counts,
                               provenance(s, ingest_facts["exports"])) for s in versions]
        write_with(out["xlsx"], lambda p: write_xlsx(docs[0], tables, p, study))  # a finished zip
        log.info("tables.xlsx written")
        waited = False

        def ready() -> None:  # the Word text and tables are written; the figures are needed now
            nonlocal waited
            if not waited:
                log.info("%d figure files written", len(figures_drawn()))
                waited = True

        for doc, (drawings, figure_folder, _), (html_path, docx_path) in zip(docs, batches, targets):
            write_with(docx_path, lambda p: write_docx(doc, figure_folder, p, set(drawings), ready))
            ready()
            text = render_html(doc, figure_folder)
            write_text(html_path, text)
            log.info("%s (%d characters) and %s written", html_path.name, len(text), docx_path.name)


def input_files(study: Study) -> list[str]:
    """Every file ingest reads for a study: the exports, then the cost and fidelity sheets."""
    return [e["path"] for e in study.spec["exports"]] + [s["path"] for s in (study.costs, study.fidelity) if s]


def exports_sha256(study: Study) -> list[str]:
    """SHA-256 of every file ingest reads ("missing" for one that does not exist)."""
    return [file_sha256(path) if Path(path).is_file() else "missing" for path in input_files(study)]


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
    from .reproduce import r_settings

    spec, a = study.spec, study.analysis
    groups = {g: _without(v, _PRESENTATION) for g, v in study.groups.items()}
    outcomes = {o: {"instrument": v["instrument"], "scale": v["scale"]} for o, v in study.outcomes.items()}
    reads = {
        "ingest": {"exports": spec["exports"], "columns": spec["columns"], "waves": spec["waves"],
                   "groups": {g: _without(v, ("reference",)) for g, v in groups.items() if "column" in v},
                   "include": spec.get("include"), "missing": spec.get("missing"),
                   "instruments": spec["instruments"], "on_invalid": a["on_invalid"], "costs": spec.get("costs"),
                   "fidelity": spec.get("fidelity")},
        "score": {"instruments": spec["instruments"], "missing": spec.get("missing"), "groups": list(groups),
                  "waves": list(spec["waves"]), "baseline_bands": study.baseline_bands,
                  "outcomes": {o: outcomes[o] for o in set(study.baseline_bands.values())},
                  "family": "family" in spec["columns"]},
        # the design analyses read each outcome's reliability, cutoff and direction, the
        # compared groups, the family column and the municipalities the costs are totalled over
        "analyse": {"outcomes": {o: _without(v, _PRESENTATION) for o, v in spec["outcomes"].items()},
                    "groupings": study.groupings, "waves": study.waves, "groups": groups,
                    "contrasts": study.contrasts, "instruments": spec["instruments"], "ci_level": a["ci_level"],
                    "correction": a["correction"], "min_n": a["min_n"], "compare": study.compare,
                    "reliable_change_z": a.get("reliable_change_z"), "family": "family" in spec["columns"],
                    "costs": bool(spec.get("costs")),
                    "fidelity": _without(spec.get("fidelity") or {}, ("path", "sheet", "encoding", "delimiter",
                                                                      "columns"))},
        "reproduce": {"r": r_settings(study)},  # what the R kit's script is given
        "tables": {"outcomes": outcomes, "groupings": study.groupings, "groups": list(groups),
                   "waves": study.waves, "contrasts": study.contrasts, "family": "family" in spec["columns"],
                   "include": bool(spec.get("include")), "min_n": a["min_n"], "exports": len(spec["exports"])},
    }
    if stage in reads:
        return json.dumps(reads[stage], ensure_ascii=False, sort_keys=True, default=str)
    # the report (and its figures): everything it shows
    return json.dumps({"study": spec, "analysis": a}, ensure_ascii=False, sort_keys=True, default=str)


def write_settings(study: Study, path: str | Path, log_path: str | Path | None = None) -> None:
    """The study's validated settings as JSON (what `python -m evaluation figures` reads);
    exports by position only, as a file name may hold a CPR number."""
    spec = {**study.spec, "exports": [{"path": f"export {k}"} for k in range(1, len(study.spec["exports"]) + 1)]}
    for key, name in (("costs", "cost sheet"), ("fidelity", "fidelity sheet")):
        if spec.get(key):
            spec[key] = {**{k: v for k, v in spec[key].items() if k != "sheet"}, "path": name}
    text = json.dumps({"study": spec, "analysis": study.analysis}, ensure_ascii=False, default=str)
    write_text(path, text)
    if log_path:
        with stage_log(log_path, "settings") as log:
            log.info("%d characters of settings", len(text))


def provenance(study: Study, inputs: list[dict]) -> dict:
    """What a reviewer needs to reproduce the report: inputs (by position and
    SHA-256 of the bytes read), the config (YAML), versions, time (``SOURCE_DATE_EPOCH`` if set)."""
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
    for key, name in (("costs", "cost sheet"), ("fidelity", "fidelity sheet")):  # the same for the sheets
        if spec.get(key):
            spec[key] = {"path": name, **{k: v for k, v in spec[key].items() if k not in ("path", "sheet")}}
    import yaml

    settings = json.loads(json.dumps({"study": study.id, **spec, "analysis": study.analysis}, default=str))
    return {
        "inputs": [{"path": i["export"], "sha256": i["sha256"]} for i in inputs],
        # as the analyst wrote it: YAML in the config's order
        "config": yaml.safe_dump(settings, allow_unicode=True, sort_keys=False, width=100),
        "versions": versions,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z" if epoch is None else "%Y-%m-%d %H:%M:%S UTC", stamp),
    }


def publication_files(study: Study | None = None) -> list[str]:
    """Everything the publish stage moves into reports/<study>/, relative to the publication
    folder: the report in the study's first language, ``report.<lang>.html/.docx`` for
    each further one (their figures in ``figures/<lang>/``)."""
    further = [f"report.{lang}.{ext}" for lang in (study.languages[1:] if study else []) for ext in ("html", "docx")]
    return [*published_tables(), "figures", "report.html", "report.docx", "tables.xlsx", *further]


PUBLICATION_FILES = publication_files()  # as the workflow was loaded; stages call publication_files()


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
    files = publication_files(study)
    source = Path(inputs[0]).parents[len(Path(files[0]).parts) - 1]
    target = reports / study.id
    reports.mkdir(parents=True, exist_ok=True)
    for leftover in reports.glob(f".{study.id}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in reports.glob(f".{study.id}.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=reports, prefix=f".{study.id}.staging-"))
    try:
        for name in files:
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
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp makes it private
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
    write_with(marker, lambda p: p.write_text(json.dumps(
        {name: file_sha256(target / name) for name in files if (target / name).is_file()},
        indent=1, sort_keys=True)))
    log.info("published reports/%s", study.id)


STAGES = {"ingest": run_ingest, "score": run_score, "analyse": run_analyse, "reproduce": run_reproduce,
          "tables": run_tables, "figures": run_figures, "report": run_report, "publish": run_publish}


def run_stage(name: str, study: Study, inputs: Mapping[str, str], outputs: Mapping[str, str],
              log_path: str) -> None:
    """Run one stage of one study with its own log file (what every rule calls)."""
    with stage_log(log_path, name) as log:
        named_in = dict(inputs.items()) if hasattr(inputs, "items") else {}
        named_out = dict(outputs.items()) if hasattr(outputs, "items") else {}
        STAGES[name](study, named_in or list(inputs), named_out or list(outputs), log)
