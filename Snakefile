# Evaluation pipeline: raw pre/post survey exports -> publication-ready report.
# The contract (config format, outputs, meaning of every column) is in
# ../shared/CONTRACT.md; config/README.md documents every config key.
import os

from snakemake.utils import min_version

min_version("9.0")

# Every job runs on one core (no rule declares threads), and jobs run side by side:
# BLAS thread pools of their own would only compete for the same two cores. Set
# before numpy is first imported (rules/common.smk); a value the user set stays.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


# The demo config, only when no --configfile is given: a config/config.yaml lying
# in a study folder run with --directory is never merged into the user's config.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/pipeline.smk"


# The stages run in processes forked from a copy of this one, made now that the
# workflow is loaded: they start with the analysis stack imported (evaluation.jobs).
# Not in a job of a cluster or of a job group: that process runs one stage itself.
if workflow.is_main_process:
    jobs.start()


rule all:
    input:
        final_outputs(),
    default_target: True
