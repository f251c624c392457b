#!/usr/bin/env bash
# A "scheduler" on this machine, for the cluster test: runs the job script (the last
# argument) in the background, prints a job id; status.sh reports on it.
dir="${EVALUATION_TEST_JOBS:?}"
mkdir -p "$dir"
id="job$(date +%s%N)$RANDOM"
(bash "${@: -1}" > "$dir/$id.log" 2>&1; echo $? > "$dir/$id.exit") < /dev/null > /dev/null 2>&1 &
echo "$id"
