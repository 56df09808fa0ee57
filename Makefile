# dofcourse: two commands do all the set-up.
#   make test   install what is missing into .venv, then run every test (chapters in quick mode)
#   make lab    install what is missing, then open JupyterLab at chapter 00, in quick mode, on your
#               own copy of the chapters (notebooks/). It keeps running until you stop it
#               (Ctrl-C twice): run it last, or in a terminal of its own.
# Both are idempotent: the install step runs again only when pyproject.toml or constraints.txt
# change. `make lab` installs what a student needs (the course's runtime); `make test` adds the
# test tools, the docs tools and the cluster extra; `make site` the docs tools (Sphinx). pip's own
# output goes to .venv/install.log; the terminal shows one line per phase. It chooses the PyTorch build: the CPU build where no NVIDIA GPU is found, the CUDA build
# where one is; TORCH=cpu, TORCH=cuda or TORCH=cu126 (any PyTorch index) overrides.
# MODE=quick|full picks the running mode of `make lab` and `make course` (quick unless MODE=full).
# For lecturers: `make slides` (offline reveal.js decks) and `make site` (a static site of the
# executed chapters) run in quick mode unless MODE=full; both reuse `make course`'s notebooks.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV_STAMP  := $(VENV)/.installed-dev
DOCS_STAMP := $(VENV)/.installed-docs
GRADING_STAMP := $(VENV)/.installed-grading
TORCH  ?= auto
MODE   ?=
ONLY   ?=
LAB_ARGS ?=

.PHONY: install lab lab-authors test course ship bench versions lint sync clean slides site links assignments

$(STAMP): pyproject.toml constraints.txt Makefile
	@$(PYTHON) dofcourse/_setup.py --venv $(VENV) --torch $(TORCH)
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	@$(PYTHON) dofcourse/_setup.py --venv $(VENV) --torch $(TORCH) --extras dev,docs,grading,cluster
	@touch $(DEV_STAMP) $(DOCS_STAMP) $(GRADING_STAMP)

$(GRADING_STAMP): $(STAMP)
	@$(PYTHON) dofcourse/_setup.py --venv $(VENV) --torch $(TORCH) --extras grading
	@touch $(GRADING_STAMP)

$(DOCS_STAMP): $(STAMP)
	@$(PYTHON) dofcourse/_setup.py --venv $(VENV) --torch $(TORCH) --extras docs
	@touch $(DOCS_STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/python tools/lab.py --mode $(or $(MODE),quick) $(LAB_ARGS)

lab-authors: $(DEV_STAMP)
	$(BIN)/python tools/lab.py --authors --mode $(or $(MODE),quick) $(LAB_ARGS)

test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check dofcourse tests benchmarks tools
	$(BIN)/pytest -n auto --dist loadfile --nbval-lax --nbval-current-env --nbval-cell-timeout=900

course: $(STAMP)
	$(BIN)/python -m dofcourse.runner --mode $(or $(MODE),quick) $(if $(ONLY),--only $(ONLY)) $(if $(FRESH),--fresh)

# full mode, and every result it computes or reads written to the results that ship with the
# course (dofcourse/results/full/: plain data, at most 20 MB; see dofcourse/shipped/)
ship: $(STAMP)
	$(BIN)/python -m dofcourse.runner --mode full --ship $(if $(ONLY),--only $(ONLY)) $(if $(FRESH),--fresh)

slides: $(STAMP)
	$(BIN)/python -m dofcourse.slides --mode $(or $(MODE),quick) $(if $(ONLY),--only $(ONLY))

site: $(DOCS_STAMP)
	$(BIN)/python -m dofcourse.website --mode $(or $(MODE),quick) $(if $(ONLY),--only $(ONLY))

bench: $(DEV_STAMP)
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

versions: $(STAMP)
	$(BIN)/python -m dofcourse.exercises

assignments: $(GRADING_STAMP)
	$(BIN)/python -m dofcourse.exercises --assignments build/assignments $(if $(ONLY),--only $(ONLY))

sync: $(DEV_STAMP)
	$(BIN)/jupytext --sync chapters/*.py

lint: $(DEV_STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check dofcourse tests benchmarks tools
	$(BIN)/mypy

links:
	python3 tools/links.py

clean:
	rm -rf build .cache
