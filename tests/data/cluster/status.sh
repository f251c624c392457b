#!/usr/bin/env bash
# Status of a job of submit.sh: running, success or failed.
file="${EVALUATION_TEST_JOBS:?}/$1.exit"
if [ ! -f "$file" ]; then echo running; elif [ "$(cat "$file")" = 0 ]; then echo success; else echo failed; fi
