# dofcourse: two commands do all the set-up.
#   make lab    install what is missing into .venv, then open JupyterLab on chapters/
#   make test   install what is missing, then run every test (chapters in quick mode included)
# Both are idempotent: the install step runs again only when pyproject.toml or constraints.txt change.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_ARGS ?=
ROOT_ARG := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: lab test course bench versions lint sync clean

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "dofcourse needs Python 3.11 or newer"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

lab: $(STAMP)
	cd chapters && ../$(BIN)/jupyter lab $(ROOT_ARG) $(LAB_ARGS) 00_welcome.ipynb

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest --nbval-lax --nbval-current-env --nbval-cell-timeout=900

course: $(STAMP)
	$(BIN)/python -m dofcourse.runner

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

versions: $(STAMP)
	$(BIN)/python -m dofcourse.exercises

sync: $(STAMP)
	$(BIN)/jupytext --sync chapters/*.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check dofcourse tests benchmarks

clean:
	rm -rf build .cache
