# Evaluation pipeline: raw pre/post survey exports -> publication-ready report.
# The contract (config format, outputs, meaning of every column) is in
# ../shared/CONTRACT.md; config/README.md documents every config key.
import os

from snakemake.utils import min_version

min_version("9.0")

# Every job runs on one core (no rule declares threads), and jobs run side by side:
# BLAS thread pools of their own would only compete for the same two cores (and
# spin on the small matrices of the disclosure audit). The variables reach the
# libraries loaded from now on; numpy's OpenBLAS is already loaded (Snakemake's
# plugins import numpy), so its pool is set to one thread at run time. A value
# the user set stays.
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
if not any(_variable in os.environ for _variable in _THREAD_VARIABLES):
    from threadpoolctl import threadpool_limits

    for _variable in _THREAD_VARIABLES:
        os.environ[_variable] = "1"
    threadpool_limits(1)


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
