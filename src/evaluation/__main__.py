"""Command line: ``python -m evaluation <command>``.

* ``simulate``: write simulated demo exports (see :mod:`evaluation.simulate`).
* ``figures``: draw a study's figures from its published tables and a settings
  file (:func:`evaluation.stages.write_settings`), outside the workflow.
"""
from __future__ import annotations

import argparse
import json
import sys


def _figures(argv: list[str]) -> int:
    from .config import Study
    from .stages import run_stage

    parser = argparse.ArgumentParser(prog="python -m evaluation figures")
    parser.add_argument("--study", required=True)
    parser.add_argument("--settings", required=True, help="JSON file: {study: spec, analysis: settings}")
    parser.add_argument("--publication", required=True, help="the study's publication folder (published tables)")
    parser.add_argument("--out", required=True, help="figure folder")
    parser.add_argument("--log", required=True)
    args = parser.parse_args(argv)
    with open(args.settings, encoding="utf-8") as fh:
        settings = json.load(fh)
    study = Study(args.study, settings["study"], settings["analysis"])
    run_stage("figures", study, {"publication": args.publication}, {"figures": args.out}, args.log)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"figures": _figures}
    if not argv or argv[0] not in (*commands, "simulate"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "simulate":
        from .simulate import main as simulate_main

        return simulate_main(argv[1:])
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
