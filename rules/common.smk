# Config validation at load, the studies as objects, and named input functions.
import os
import sys

from snakemake.exceptions import WorkflowError

from evaluation import jobs, stages
from evaluation.config import ConfigError, Study, load_config, validate_config

try:
    # the config file is read again with the project's own YAML rules (duplicate
    # keys, alias bombs, 1e3 as a number, errors with their line)
    CONFIG_FILES = list(workflow.overwrite_configfiles) or ["config/config.yaml"]
    for path in CONFIG_FILES[:-1]:
        load_config(path)
    CONFIG = load_config(CONFIG_FILES[-1]) if len(CONFIG_FILES) == 1 else validate_config(config, "config")
except ConfigError as exc:
    raise WorkflowError(str(exc)) from None

STUDIES = {sid: Study.from_config(CONFIG, sid) for sid in CONFIG["studies"]}


wildcard_constraints:
    study="|".join(STUDIES),


def final_outputs():
    """What `snakemake` builds by default: every study's publication in reports/<study>/,
    and the reviewer's R kit of each in data/processed/<study>/reproduce/ (never published).

    The marker reports/.<study>.published stands for the folder; a folder removed
    by hand takes its marker with it, so that the next run publishes it again.
    """
    for sid in STUDIES:
        if not os.path.isdir(f"reports/{sid}") and os.path.exists(f"reports/.{sid}.published"):
            os.remove(f"reports/.{sid}.published")
    return [f"reports/.{sid}.published" for sid in STUDIES] + [f"data/processed/{sid}/reproduce" for sid in STUDIES]


def study_exports(wildcards):
    """The files ingest reads for a study, exports and cost sheet (a new or newer one re-runs it)."""
    return stages.input_files(STUDIES[wildcards.study])


def exports_sha256(wildcards):
    """The content of every export: an export whose bytes changed re-runs its study,
    whatever its modification time (an older copy restored with `cp -p`)."""
    return stages.exports_sha256(STUDIES[wildcards.study])


def study_priority(wildcards):
    """Larger analyses first: the study with the most result cells (outcomes x
    contrasts x groupings) has the longest way to its report, so when both cores
    are taken its jobs go first."""
    study = STUDIES[wildcards.study]
    return len(study.outcomes) * len(study.contrasts) * (1 + len(study.groupings))


def memory(factor):
    """``resources: mem_mb`` from the size of a job's inputs: a gigabyte, and ``factor``
    megabytes per megabyte of input (what a cluster scheduler reserves; a local run
    ignores it)."""

    def mem_mb(wildcards, input):
        return int(1000 + factor * input.size_mb)

    mem_mb.__name__ = f"mem_mb_{factor}"
    return mem_mb


def id_key_file(wildcards):
    """The key file, unless the key comes from EVALUATION_ID_KEY (then no file is made)."""
    if os.environ.get("EVALUATION_ID_KEY"):
        return []
    return ancient("data/processed/.id_key")


def settings_of(stage):
    """An input function: the settings ``stage`` reads (it re-runs when they change)."""

    def settings(wildcards):
        return stages.stage_settings(STUDIES[wildcards.study], stage)

    settings.__name__ = f"{stage}_settings"
    return settings


def publication_files(wildcards):
    """Everything the publish rule moves into reports/<study>/ at once."""
    base = f"data/processed/{wildcards.study}/publication"
    return [f"{base}/{name}" for name in stages.publication_files()]  # the declared ones; publish adds languages


def leave_quickly():
    """Let the process exit as soon as the run is over.

    Snakemake's job rate limiter starts a non-daemon one-second threading.Timer
    after every scheduling round, and the interpreter waits for the last one
    before it exits: up to two idle seconds at the end of every run. When the run
    has finished nothing waits for those timers any more, so they are cancelled.
    (Its `--max-jobs-per-timespan` cannot shorten them: "100ms" parses as minutes.)

    And the interpreter's last garbage collection walks every object of the
    analysis stack (pandas, scipy, matplotlib: 0.2-0.3 s); objects frozen now are
    left to the operating system, which frees the memory anyway.
    """
    import gc
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()
    gc.freeze()


onsuccess:
    jobs.stop()
    leave_quickly()


onerror:
    jobs.stop()
    leave_quickly()
