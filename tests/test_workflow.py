"""End to end: the Snakemake workflow on a small simulated study in a temporary directory."""
from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO, run_snakemake
from evaluation import simulate
from evaluation.stats import RESULT_COLUMNS

def test_every_output_of_the_contract_exists(small_study):
    for sid in ("parents", "fosterfamilies"):
        for rel in ("data/processed/{s}/scores.parquet", "data/processed/{s}/results.csv",
                    "data/processed/{s}/flow.csv", "reports/{s}/tables/results.csv",
                    "reports/{s}/tables/reliability.csv", "reports/{s}/report.html",
                    "reports/{s}/data_issues.csv", "reports/{s}/figures/flow.png",
                    "reports/{s}/report.docx", "reports/{s}/tables.xlsx",
                    "reports/{s}/tables/participant_flow.csv", "reports/{s}/tables/band_shares.csv"):
            assert (small_study / rel.format(s=sid)).is_file(), rel.format(s=sid)
        assert not list((small_study / "reports" / sid / "figures").glob("*.svg"))  # svg: false by default
        for name in ("ingest", "score", "analyse", "reproduce", "tables", "report", "publish"):
            assert (small_study / "logs" / sid / f"{name}.log").is_file()


def test_scores_and_results_have_the_contract_columns(small_study):
    scores = pd.read_parquet(small_study / "data/processed/parents/scores.parquet")
    assert list(scores.columns) == ["pid", "wave", "municipality", "child_age", "start_difficulties", "family",
                                    "instrument", "scale", "score", "n_answered", "band"]
    assert set(scores["wave"]) == {"pre", "post"}
    results = pd.read_csv(small_study / "data/processed/fosterfamilies/results.csv")
    assert list(results.columns) == RESULT_COLUMNS
    assert set(results["grouping"]) == {"all", "municipality", "variant", "municipality+variant", "sex", "age"}
    assert set(zip(results["from_wave"], results["to_wave"])) == {("pre", "post"), ("pre", "followup")}


def test_published_table_blanks_suppressed_rows(small_study):
    published = pd.read_csv(small_study / "reports/fosterfamilies/tables/results.csv")
    full = pd.read_csv(small_study / "data/processed/fosterfamilies/results.csv")
    assert (published["suppressed"] >= full["suppressed"]).all()  # small cells and the ones protecting them
    hidden = published[published["suppressed"]]
    assert len(hidden) > 0, "the small study should have suppressed cells"
    keep = ["outcome", "from_wave", "to_wave", "grouping", "group", "suppressed"]
    assert hidden.drop(columns=keep).isna().all().all()
    assert (full.loc[full["n"] < 5, "suppressed"]).all()


def test_flow_accounts_for_every_input_row(small_study):
    flow = pd.read_csv(small_study / "data/processed/parents/flow.csv")
    exports = yaml.safe_load((small_study / "config.yaml").read_text())["studies"]["parents"]["exports"]
    n_rows = sum(len(pd.read_csv(small_study / e["path"], sep=";")) for e in exports)
    assert len(flow) == n_rows
    assert list(flow.columns) == ["source", "line", "pid", "wave", "status", "reason"]
    results = pd.read_csv(small_study / "data/processed/parents/results.csv")
    overall = results[results["grouping"] == "all"].set_index("outcome")
    answered = flow[flow["status"] == "answered"]
    both = answered.groupby("pid")["wave"].nunique()
    assert (overall["n"] <= (both == 2).sum()).all()


def test_no_identifier_reaches_outputs(small_study):
    exports = yaml.safe_load((small_study / "config.yaml").read_text())["studies"]["parents"]["exports"]
    raw = pd.concat([pd.read_csv(small_study / e["path"], sep=";", dtype=str) for e in exports])
    foster = pd.read_excel(small_study / "data/raw/fosterfamilies.xlsx", dtype=str, engine="calamine")
    secrets = set(raw["respondent_id"]) | set(raw["familie_id"]) | set(foster["Løbenummer"]) \
        | set(foster["Plejeforælders navn"])
    texts = []
    for path in list((small_study / "data/processed").rglob("*")) + list((small_study / "reports").rglob("*")):
        if path.suffix == ".parquet":
            texts.append(pd.read_parquet(path).to_csv())
        elif path.suffix in (".csv", ".html", ".svg"):
            texts.append(path.read_text(encoding="utf-8"))
    blob = "\n".join(texts)
    assert len(secrets) > 100 and len(texts) > 20 and len(blob) > 100_000  # the check has teeth
    leaked = [s for s in secrets if s in blob]
    assert not leaked, leaked[:5]
    assert ".id_key" not in {p.name for p in (small_study / "reports").rglob("*")}


def test_report_is_self_contained_and_has_every_section(small_study):
    html = (small_study / "reports/parents/report.html").read_text(encoding="utf-8")
    for section in ("summary", "flow", "implementation", "results", "costs", "reliability", "data-issues",
                    "methods", "limitations", "provenance"):
        assert f'id="{section}"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    pngs = list((small_study / "reports/parents/figures").glob("*.png"))
    # flow, means and forest per outcome, SDQ and WHO-5 bands, fidelity, costs
    assert html.count("data:image/png;base64,") == len(pngs) == 1 + 3 * 2 + 2 + 1 + 1


def test_second_run_does_nothing(small_study):
    proc = run_snakemake(small_study, "--dry-run")
    assert proc.returncode == 0
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_edited_config_reruns_the_study(small_study, tmp_path):
    cfg = yaml.safe_load((small_study / "config.yaml").read_text(encoding="utf-8"))
    cfg["analysis"]["min_n"] = 6
    work = tmp_path / "w"
    shutil.copytree(small_study, work, ignore=shutil.ignore_patterns(".snakemake"))
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = run_snakemake(work, "--dry-run")
    assert "ingest" in proc.stdout and "report" in proc.stdout


def test_invalid_export_fails_cleanly_with_no_report(tmp_path):
    workdir = tmp_path
    simulate.write_parents(workdir / "data" / "raw", seed=3, scale=0.2)
    simulate.write_fosterfamilies(workdir / "data" / "raw", seed=4, scale=0.2)
    path = workdir / "data/raw/parents_boern_foer.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace("Passer godt", "Passer nok", 1)
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(REPO / "config" / "config.yaml", workdir / "config.yaml")
    proc = run_snakemake(workdir)
    assert proc.returncode != 0
    assert "data/raw/parents_boern_foer.csv, line 3" in proc.stdout + proc.stderr
    assert "'Passer nok'" in proc.stdout + proc.stderr
    assert not (workdir / "reports/parents/report.html").exists()
    assert not (workdir / "data/processed/parents/responses.parquet").exists()


def test_bad_config_stops_before_any_job(tmp_path):
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["analysis"]["on_invalid"] = "ignore"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = run_snakemake(tmp_path)
    assert proc.returncode != 0
    assert "analysis.on_invalid: 'ignore' is not allowed; use one of 'stop', 'quarantine'" in proc.stdout + proc.stderr
    assert not (tmp_path / "data").exists()


def test_custom_instrument_defined_only_in_config_runs_end_to_end(tmp_path):
    """A questionnaire the pipeline has never heard of: labels, reverse key, prorating."""
    raw = tmp_path / "data" / "raw"
    simulate.write_parents(raw, seed=21, scale=0.4)
    labels = ["Helt uenig", "Uenig", "Hverken/eller", "Enig", "Helt enig"]
    for wave, name in (("pre", "foer"), ("post", "efter")):
        people = pd.read_csv(raw / f"parents_foraeldre_{name}.csv", sep=";", dtype=str)
        extra = people[["respondent_id", "familie_id", "kommune"]].copy()
        # keyed, every item rises by exactly 1 (own2 is reverse-keyed: its raw answer falls)
        v = np.array([2 + int(pid[2:]) % 2 for pid in extra["respondent_id"]]) + (wave == "post")
        for k in range(1, 5):
            raw_value = (6 - v) if k == 2 else v
            extra[f"own{k}"] = [labels[x - 1] for x in raw_value]
        extra.loc[extra.index[0], "own4"] = ""  # one missing item in each wave: prorated
        extra.to_csv(raw / f"own_{name}.csv", sep=";", index=False)
    cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
    parents = cfg["studies"]["parents"]
    cfg["studies"] = {"parents": parents}
    parents["exports"] += [{"path": "data/raw/own_foer.csv", "wave": "pre"},
                           {"path": "data/raw/own_efter.csv", "wave": "post"}]
    parents["instruments"]["own"] = {"items": ["own1", "own2", "own3", "own4"], "range": [1, 5],
                                     "reverse": ["own2"], "score": "sum", "min_answered": 3,
                                     "labels": dict(zip(labels, range(1, 6)))}
    parents["outcomes"]["own_scale"] = {"instrument": "own", "scale": "total", "better": "higher",
                                        "label": {"da": "Egen skala", "en": "Own scale"}}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = run_snakemake(tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    scores = pd.read_parquet(tmp_path / "data/processed/parents/scores.parquet")
    own = scores[scores["instrument"] == "own"]
    assert len(own) == sum(len(pd.read_csv(p, sep=";")) for p in raw.glob("own_*.csv"))
    assert (own["n_answered"] == 3).sum() == 2 and own["score"].notna().all()  # one per wave
    results = pd.read_csv(tmp_path / "data/processed/parents/results.csv")
    overall = results[(results["outcome"] == "own_scale") & (results["grouping"] == "all")].iloc[0]
    assert overall["n"] > 20
    assert overall["diff_mean"] == pytest.approx(4.0) and overall["diff_sd"] == pytest.approx(0.0, abs=1e-12)
    assert "Egen skala" in (tmp_path / "reports/parents/report.html").read_text(encoding="utf-8")


def test_two_clean_runs_write_identical_reports(tmp_path, monkeypatch):
    """CONTRACT section 1: with SOURCE_DATE_EPOCH set, the same inputs and key give the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.setenv("EVALUATION_ID_KEY", "reproducible")
    runs = []
    for name in ("one", "two"):
        work = tmp_path / name
        shutil.copytree(REPO / "data" / "raw", work / "data" / "raw")
        cfg = yaml.safe_load((REPO / "config" / "config.yaml").read_text(encoding="utf-8"))
        cfg["analysis"]["figures"] = {"svg": True}
        (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
        proc = run_snakemake(work)
        assert proc.returncode == 0, proc.stderr[-2000:]
        runs.append({p.relative_to(work): p.read_bytes() for p in (work / "reports").rglob("*") if p.is_file()})
    assert runs[0].keys() == runs[1].keys() and len(runs[0]) > 30
    assert [str(k) for k in runs[0] if runs[0][k] != runs[1][k]] == []
    assert not (tmp_path / "one" / "data/processed/.id_key").exists()  # the key came from the environment


def test_a_language_change_reruns_only_the_report(small_study, tmp_path):
    """Each rule re-runs only when the settings it reads change (the report stage
    draws the figures it shows)."""
    work = tmp_path / "w"
    shutil.copytree(small_study, work, ignore=shutil.ignore_patterns("locks"))
    cfg = yaml.safe_load((work / "config.yaml").read_text(encoding="utf-8"))
    cfg["studies"]["fosterfamilies"]["language"] = "en"
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = run_snakemake(work, "--dry-run")
    jobs = set(re.findall(r"^rule (\w+):", proc.stdout, flags=re.M))
    assert jobs == {"report", "publish", "all"}, proc.stdout[-3000:]
    cfg["analysis"]["min_n"] = 7  # a disclosure setting re-runs from the analysis on, not ingest
    (work / "config.yaml").write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    jobs = set(re.findall(r"^rule (\w+):", run_snakemake(work, "--dry-run").stdout, flags=re.M))
    assert "analyse" in jobs and "tables" in jobs and not {"ingest", "score"} & jobs


def test_the_cluster_profile_publishes_what_a_local_run_publishes(small_study, tmp_path):
    """The shipped cluster profile (cluster-generic, each study's chain one job group)
    with a scheduler on this machine: every published table is byte-identical to the
    local run's."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    work = tmp_path / "cluster"
    shutil.copytree(small_study / "data" / "raw", work / "data" / "raw")
    shutil.copy(small_study / "config.yaml", work / "config.yaml")
    (work / "data/processed").mkdir()
    shutil.copy(small_study / "data/processed/.id_key", work / "data/processed/.id_key")  # the same pseudonyms
    scripts = REPO / "tests" / "data" / "cluster"
    snakemake = Path(sys.executable).parent / "snakemake"
    env = {**os.environ, "EVALUATION_TEST_JOBS": str(tmp_path / "jobs")}
    proc = subprocess.run([str(snakemake), "--profile", str(REPO / "profiles" / "cluster"),
                           "--snakefile", str(REPO / "Snakefile"), "--directory", str(work),
                           "--configfile", str(work / "config.yaml"),
                           "--cluster-generic-submit-cmd", str(scripts / "submit.sh"),
                           "--cluster-generic-status-cmd", str(scripts / "status.sh"),
                           "--latency-wait", "5"], capture_output=True, text=True, timeout=900, env=env)
    logs = "".join(p.read_text() for p in (tmp_path / "jobs").glob("*.log")) if (tmp_path / "jobs").exists() else ""
    assert proc.returncode == 0, proc.stderr[-3000:] + logs[-3000:]
    # one cluster job per study: its chain from ingest to publish as one job group
    assert len(list((tmp_path / "jobs").glob("*.exit"))) == 2, proc.stderr[-3000:]
    for study in ("parents", "fosterfamilies"):
        local = sorted((small_study / "reports" / study / "tables").glob("*.csv"))
        assert local
        for path in local:
            remote = work / "reports" / study / "tables" / path.name
            assert remote.read_bytes() == path.read_bytes(), path.name


def test_figures_are_drawn_again_from_a_publication_outside_the_workflow(small_study, tmp_path):
    """`python -m evaluation figures`: the figures of a published study from its tables
    and settings alone, the same files the report stage drew."""
    import subprocess
    import sys

    from evaluation import load_study
    from evaluation.stages import write_settings

    study = load_study(small_study / "config.yaml", "parents", root=small_study)
    write_settings(study, tmp_path / "settings.json")
    proc = subprocess.run([sys.executable, "-m", "evaluation", "figures", "--study", "parents", "--settings",
                           str(tmp_path / "settings.json"), "--publication", str(small_study / "reports/parents"),
                           "--out", str(tmp_path / "figures"), "--log", str(tmp_path / "figures.log")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    drawn = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    published = sorted(p.name for p in (small_study / "reports/parents/figures").glob("*.png"))
    assert drawn and drawn == published
    for name in drawn:
        published_bytes = (small_study / "reports/parents/figures" / name).read_bytes()
        assert (tmp_path / "figures" / name).read_bytes() == published_bytes
