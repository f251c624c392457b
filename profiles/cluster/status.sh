#!/usr/bin/env bash
# Job status for Snakemake's cluster-generic executor on SLURM: prints running,
# success or failed for the job id in $1.
state=$(sacct -j "$1" --format=State --noheader --parsable2 2>/dev/null | head -n 1)
case "$state" in
  COMPLETED) echo success ;;
  FAILED|CANCELLED*|TIMEOUT|OUT_OF_MEMORY|NODE_FAIL|PREEMPTED|BOOT_FAIL|DEADLINE) echo failed ;;
  *) echo running ;;
esac
