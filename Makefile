# dofcourse: two commands do all the set-up.
#   make test   install what is missing into .venv, then run every test (chapters in quick mode)
#   make lab    install what is missing, then open JupyterLab at chapter 00, in quick mode, on your
#               own copy of the chapters (notebooks/). It keeps running until you stop it
#               (Ctrl-C twice): run it last, or in a terminal of its own.
# Both are idempotent: the install step runs again only when pyproject.toml or constraints.txt
# change. It chooses the PyTorch build: the CPU build where no NVIDIA GPU is found, the CUDA build
# where one is; TORCH=cpu, TORCH=cuda or TORCH=cu126 (any PyTorch index) overrides.
# MODE=quick|full picks the running mode of `make lab` and `make course` (quick unless MODE=full).
# For lecturers: `make slides` (offline reveal.js decks) and `make site` (a static site of the
# executed chapters) run in quick mode unless MODE=full; both reuse `make course`'s notebooks.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  ?= auto
MODE   ?=
ONLY   ?=
LAB_ARGS ?=

.PHONY: install lab lab-authors test course bench versions lint sync clean slides site

$(STAMP): pyproject.toml constraints.txt Makefile
	@$(PYTHON) dofcourse/_setup.py --venv $(VENV) --torch $(TORCH) --extras dev,cluster
	@touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/python tools/lab.py --mode $(or $(MODE),quick) $(LAB_ARGS)

lab-authors: $(STAMP)
	$(BIN)/python tools/lab.py --authors --mode $(or $(MODE),quick) $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dofcourse tests benchmarks tools
	$(BIN)/pytest -n auto --dist loadfile --nbval-lax --nbval-current-env --nbval-cell-timeout=900

course: $(STAMP)
	$(BIN)/python -m dofcourse.runner --mode $(or $(MODE),quick) $(if $(ONLY),--only $(ONLY)) $(if $(FRESH),--fresh)

slides: $(STAMP)
	$(BIN)/python -m dofcourse.slides --mode $(or $(MODE),quick) $(if $(ONLY),--only $(ONLY))

site: $(STAMP)
	$(BIN)/python -m dofcourse.website --mode $(or $(MODE),quick) $(if $(ONLY),--only $(ONLY))

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

versions: $(STAMP)
	$(BIN)/python -m dofcourse.exercises

sync: $(STAMP)
	$(BIN)/jupytext --sync chapters/*.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check dofcourse tests benchmarks tools

clean:
	rm -rf build .cache
