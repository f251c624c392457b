# Evaluation pipeline: raw pre/post survey exports -> publication-ready report.
# The contract (config format, outputs, meaning of every column) is in
# ../shared/CONTRACT.md; config/README.md documents every config key.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "rules/common.smk"
include: "rules/pipeline.smk"


rule all:
    input:
        final_outputs(),
    default_target: True
