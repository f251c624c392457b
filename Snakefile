# Evaluation pipeline: raw pre/post survey exports -> publication-ready report.
# The contract (config format, outputs, meaning of every column) is in
# ../shared/CONTRACT.md; config/README.md documents every config key.
from snakemake.utils import min_version

min_version("9.0")


# The demo config, only when no --configfile is given: a config/config.yaml lying
# in a study folder run with --directory is never merged into the user's config.
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/pipeline.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
