# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# The package's bytecode, brought up to date before each run (a file that changed is
# compiled again; the others are checked only). Python does this itself on import,
# unless PYTHONDONTWRITEBYTECODE is set, as in many containers: then every process
# of every run compiled the whole package again (0.1 s before the first job).
COMPILE := $(BIN)/python -m compileall -q src

.PHONY: setup run test lint bench demo-data clean

## setup: virtual environment in .venv with the package and its pinned dependencies
setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

## run: the pipeline on the demo studies (reports/<study>/report.html)
run: setup
	@$(COMPILE)
	$(BIN)/snakemake --cores all

## test: the test suite (installs Debian's chromium for the browser test when it can)
test: setup
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 \
		|| echo "chromium could not be installed: the browser test will be skipped"
	@$(COMPILE)
	$(BIN)/python -m pytest

## lint: Snakemake's linter
lint: setup
	$(BIN)/snakemake --lint

## bench: the benchmarks (ratios against a baseline measured in the same run)
bench: setup
	@$(COMPILE)
	$(BIN)/python benchmarks/bench_workflow.py
	$(BIN)/python benchmarks/bench_stats.py
	$(BIN)/python benchmarks/bench_design.py
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_calibration.py

## demo-data: re-simulate the demo exports in data/raw/
demo-data: setup
	$(BIN)/python -m evaluation simulate --out data/raw

clean:
	rm -rf data/processed/* reports/* logs .snakemake
	touch data/processed/.gitkeep reports/.gitkeep
