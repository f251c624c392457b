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
           "run_figures", "run_report", "flow_counts", "band_shares"]


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


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it into place on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes files private; outputs are ordinary files
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
    from .ingest import FLOW_COLUMNS, ISSUE_COLUMNS, ingest_study, load_id_key

    processed_dir = Path(out["responses"]).parent.parent
    result = ingest_study(study, load_id_key(processed_dir))
    log.info("%d input rows: %s", len(result.flow), result.flow["status"].value_counts().to_dict())
    for note in result.notes:
        log.info(note)
    if len(result.issues):
        log.warning("%d invalid values set missing (on_invalid: quarantine)", len(result.issues))
    from .schemas import responses_schema, validate

    validate(result.responses, responses_schema(study.instruments, study.group_columns), "responses")
    write_parquet(result.responses, out["responses"])
    write_csv(result.flow[FLOW_COLUMNS], out["flow"])
    write_csv(result.issues[ISSUE_COLUMNS], out["issues"])


def run_score(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """responses.parquet -> scores.parquet and reliability.csv."""
    from .instruments import reliability, score_responses

    responses = pd.read_parquet(inputs["responses"])
    instruments = study.instruments
    scores = score_responses(responses, instruments, ["pid", "wave", *study.group_columns])
    for c in ("municipality", "variant", "family"):
        if c not in scores:
            scores.insert(2, c, pd.Series(pd.NA, index=scores.index, dtype="string"))
    scores = scores[["pid", "wave", "municipality", "variant", "family", "instrument", "scale",
                     "score", "n_answered", "band"]]
    from .schemas import scores_schema, validate

    validate(scores, scores_schema(), "scores")
    log.info("%d scores, %d empty", len(scores), int(scores["score"].isna().sum()))
    write_parquet(scores, out["scores"])
    write_csv(reliability(responses, instruments), out["reliability"])


def run_analyse(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """scores.parquet -> pairs.parquet and the full results.csv."""
    from .stats import complete_pairs, results_table

    scores = pd.read_parquet(inputs["scores"])
    pairs = complete_pairs(scores, study.outcomes, study.group_columns)
    a = study.analysis
    results = results_table(pairs, study.groupings, ci_level=a["ci_level"],
                            correction=a["correction"], min_n=a["min_n"])
    log.info("%d result rows, %d suppressed", len(results), int(results["suppressed"].sum()))
    write_parquet(pairs, out["pairs"])
    write_csv(results, out["results"])


def flow_counts(flow: pd.DataFrame, responses: pd.DataFrame, group_columns: list[str]) -> pd.DataFrame:
    """People at each step of the participant flow, overall and per group column.

    Counts people (pseudonyms) with a valid answer at baseline, at follow-up, at
    both; rows left out (duplicates, invalid) are counted as rows, overall only.
    """
    people = flow[flow["status"].isin(["analysed", "baseline_only", "followup_only"])]
    per_person = people.groupby("pid")["status"].first()
    groups = responses.drop_duplicates("pid").set_index("pid")[group_columns] if group_columns else None
    rows = []

    def count(grouping: str, group: str, pids: pd.Index) -> None:
        status = per_person.reindex(pids)
        rows.append({"grouping": grouping, "group": group, "enrolled": len(pids),
                     "baseline": int(status.isin(["analysed", "baseline_only"]).sum()),
                     "followup": int(status.isin(["analysed", "followup_only"]).sum()),
                     "both_waves": int((status == "analysed").sum()),
                     "baseline_only": int((status == "baseline_only").sum()),
                     "followup_only": int((status == "followup_only").sum())})

    count("all", "all", per_person.index)
    rows[0]["excluded_rows"] = int((~flow["status"].isin(
        ["analysed", "baseline_only", "followup_only"])).sum())
    for c in group_columns:
        if c == "family":
            continue
        for value, pids in groups.groupby(c).groups.items():
            count(c, str(value), pd.Index(pids))
    out = pd.DataFrame(rows)
    out["excluded_rows"] = out["excluded_rows"].astype("Int64")
    return out


def band_shares(study: Study, scores: pd.DataFrame) -> pd.DataFrame:
    """Share of the complete pairs in each band (SDQ, WHO-5) before and after, per outcome.

    Counts below ``min_n`` are suppressed, and since a wave's bands add up to its
    published n, a single hidden band would be recoverable: the smallest other
    band of that wave is hidden with it.
    """
    min_n = study.analysis["min_n"]
    rows = []
    for outcome, spec in study.outcomes.items():
        sel = scores[(scores["instrument"] == spec["instrument"]) & (scores["scale"] == spec["scale"])
                     & scores["score"].notna() & scores["band"].notna()]
        complete = sel.groupby("pid")["wave"].nunique()
        sel = sel[sel["pid"].isin(complete.index[complete == 2])]
        if sel.empty:
            continue
        counts = sel.groupby(["wave", "band"]).size().unstack(fill_value=0)
        for wave in ("pre", "post"):
            total = int(counts.loc[wave].sum())
            for band, count in counts.loc[wave].items():
                rows.append({"outcome": outcome, "wave": wave, "band": band, "n": int(count),
                             "share": count / total, "total": total})
    out = pd.DataFrame(rows, columns=["outcome", "wave", "band", "n", "share", "total", "suppressed"])
    if out.empty:
        return out
    out["suppressed"] = out["n"] < min_n
    for _, idx in out.groupby(["outcome", "wave"]).groups.items():
        hidden = out.loc[idx, "suppressed"]
        if hidden.sum() == 1 and (~hidden).any():
            visible = out.loc[idx][~hidden]
            out.loc[visible.index[visible["n"] == visible["n"].min()], "suppressed"] = True
    out[["n", "share"]] = out[["n", "share"]].astype(object).where(~out["suppressed"], None)
    return out


def run_tables(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Published tables: results (suppressed), reliability, participant flow, data issues."""
    from .stats import published_results

    min_n = study.analysis["min_n"]
    results = pd.read_csv(inputs["results"])
    write_csv(published_results(results), out["results"])
    rel = pd.read_csv(inputs["reliability"])
    small = rel["n"] < min_n
    rel[["alpha", "omega"]] = rel[["alpha", "omega"]].astype(object).where(~small, None)
    write_csv(rel, out["reliability"])
    flow = pd.read_csv(inputs["flow"], dtype={"pid": "string"})
    responses = pd.read_parquet(inputs["responses"], columns=["pid", *study.group_columns])
    counts = flow_counts(flow, responses, study.group_columns)
    # small counts per group are hidden like small result cells
    count_cols = ["enrolled", "baseline", "followup", "both_waves", "baseline_only", "followup_only"]
    hide = (counts["grouping"] != "all") & (counts["enrolled"] < min_n)
    published = counts.astype({c: object for c in count_cols})
    published.loc[hide, count_cols] = None
    published["suppressed"] = hide
    write_csv(published, out["flow"])
    write_csv(pd.read_csv(inputs["issues"], dtype=str), out["issues"])
    scores = pd.read_parquet(inputs["scores"], columns=["pid", "wave", "instrument", "scale", "score", "band"])
    write_csv(band_shares(study, scores), out["bands"])
    log.info("published %d result rows (%d suppressed)", len(results), int(results["suppressed"].sum()))


def run_figures(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """Every figure as PNG and SVG in reports/<study>/figures/."""
    figure_dir = out["figures"]
    from . import figures

    results = pd.read_csv(inputs["results"])
    pairs = pd.read_parquet(inputs["pairs"])
    counts = pd.read_csv(inputs["flow"])
    bands = pd.read_csv(inputs["bands"])
    directory = Path(figure_dir)
    written = figures.save_figure(figures.flow_plot(study, counts, results), directory / "flow")
    for outcome in study.outcomes:
        overall = results[(results["outcome"] == outcome) & (results["grouping"] == "all")].iloc[0]
        written += figures.save_figure(figures.paired_plot(study, outcome, pairs, overall),
                                       directory / f"paired_{outcome}")
        written += figures.save_figure(figures.forest_plot(study, outcome, results),
                                       directory / f"forest_{outcome}")
        written += figures.save_figure(figures.change_histogram(study, outcome, pairs, overall),
                                       directory / f"change_{outcome}")
        band_figure = figures.band_plot(study, outcome, bands)
        if band_figure is not None:
            written += figures.save_figure(band_figure, directory / f"bands_{outcome}")
    log.info("wrote %d figure files", len(written))


def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def provenance(study: Study) -> dict:
    """What a reviewer needs to reproduce the report: inputs, config, versions, time."""
    packages = ["evaluation", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "snakemake"]
    versions = {}
    for p in packages:
        try:
            versions[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            versions[p] = "not installed"
    return {
        "inputs": [{"path": e["path"], "sha256": file_sha256(e["path"])} for e in study.spec["exports"]],
        "config": json.dumps({"study": study.id, **study.spec, "analysis": study.analysis},
                             ensure_ascii=False, indent=1, default=str),
        "versions": versions,
        "generated": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def run_report(study: Study, inputs: Mapping[str, str], out: Mapping[str, str], log: logging.Logger) -> None:
    """The report as self-contained HTML, Word (report.docx) and Excel (tables.xlsx)."""
    from .report import build_content, render_html, write_docx, write_xlsx

    tables = {"results": pd.read_csv(inputs["results"]), "reliability": pd.read_csv(inputs["reliability"]),
              "participant_flow": pd.read_csv(inputs["flow"]), "band_shares": pd.read_csv(inputs["bands"]),
              "data_issues": pd.read_csv(inputs["issues"], dtype=str)}
    content = build_content(
        study, results=tables["results"], reliability=tables["reliability"], flow=tables["participant_flow"],
        bands=tables["band_shares"], issues=tables["data_issues"],
        scores=pd.read_parquet(inputs["scores"], columns=["instrument", "scale", "score", "n_answered"]))
    figure_dir = Path(inputs["figures"])
    prov = provenance(study)
    html = render_html(content, figure_dir, prov)
    _write(out["html"], lambda p: p.write_text(html, encoding="utf-8"))
    _write(out["docx"], lambda p: write_docx(content, figure_dir, prov, p))
    _write(out["xlsx"], lambda p: write_xlsx(content, tables, p))
    log.info("report written: %d characters of HTML, report.docx, tables.xlsx", len(html))

STAGES = {"ingest": run_ingest, "score": run_score, "analyse": run_analyse, "tables": run_tables,
          "figures": run_figures, "report": run_report}


def run_stage(name: str, study: Study, inputs: Mapping[str, str], outputs: Mapping[str, str],
              log_path: str) -> None:
    """Run one stage of one study with its own log file (what every rule calls)."""
    with stage_log(log_path, name) as log:
        STAGES[name](study, dict(inputs.items()), dict(outputs.items()), log)
