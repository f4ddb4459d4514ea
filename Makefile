# minigrad — every target builds the virtual environment first, so a fresh
# clone needs only Python 3.11+ (and `make system-deps` for Graphviz/Chromium).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv system-deps test test-fast lint format typecheck gradcheck bench demo speaker figures tutorial notebooks jupyter clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP) ## create .venv and install minigrad with the dev extras

system-deps: ## install Graphviz's dot and Chromium (apt-get as root), else say how
	@bash scripts/system-deps.sh

test: $(STAMP) ## run the whole test suite (tutorials included)
	$(PY) -m pytest

test-fast: $(STAMP) ## run the tests without the slow ones
	$(PY) -m pytest -m "not slow"

lint: $(STAMP) ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## apply ruff's formatting and fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: $(STAMP) ## mypy over minigrad and rnn
	$(VENV)/bin/mypy

gradcheck: $(STAMP) ## first- and second-order gradient checks of every op
	$(PY) -m minigrad gradcheck

bench: $(STAMP) ## engine and RNN benchmarks; writes bench/RESULTS.md
	$(PY) -m bench

demo: $(STAMP) ## the main job: train a char-RNN, check gradients, draw pictures into out/
	$(PY) -m rnn demo

# The LSTM that ships as rnn/models/pydoc_lstm.npz: Adam at 0.003, then (resuming the
# checkpoint) at 0.001 until the held-out loss stops falling; then the weights alone are shipped.
SPEAKER := build/speaker/pydoc_lstm.npz
SPEAKER_TRAIN := OPENBLAS_NUM_THREADS=1 $(PY) -m rnn train --text pydoc --validation 0.1 \
	--model lstm --hidden 256 --dtype float32 --batch-size 32 --bptt 64 \
	--eval-every 250 --checkpoint-every 250 --checkpoint $(SPEAKER)

speaker: $(STAMP) ## train the LSTM shipped in rnn/models (17 min on one core)
	@mkdir -p $(dir $(SPEAKER))
	@start=$$(date +%s) && \
	$(SPEAKER_TRAIN) --lr 3e-3 --steps 2500 && \
	$(SPEAKER_TRAIN) --resume --lr 1e-3 --steps 3000 && \
	$(PY) -m rnn.pretrained $(SPEAKER) && \
	echo "make speaker: $$(( $$(date +%s) - start )) s"

figures: $(STAMP) ## regenerate the committed figures (README, tutorials)
	$(PY) -m minigrad.viz.figures docs/figures
	$(PY) -m rnn.figures docs/figures
	$(PY) tutorials/make_figures.py

TUTORIALS := $(wildcard tutorials/[0-9][0-9]_*.py)
TUTORIAL_DIR ?= out/tutorials
TUTORIAL = $(wildcard tutorials/$(shell printf '%02d' '$(N)' 2>/dev/null)_*.py)

tutorial: $(STAMP) ## run one tutorial as a script in out/tutorials: make tutorial N=9
	@test -n "$(N)" && test -n "$(TUTORIAL)" || { \
	  echo "usage: make tutorial N=<number>, the number of one of"; ls tutorials/[0-9][0-9]_*.py; exit 2; }
	@mkdir -p $(TUTORIAL_DIR)
	cd $(TUTORIAL_DIR) && $(abspath $(PY)) $(abspath $(TUTORIAL))

NOTEBOOKS := $(patsubst tutorials/%.py,build/notebooks/%.ipynb,$(TUTORIALS))

notebooks: $(NOTEBOOKS) ## the tutorials as notebooks in build/notebooks (a changed tutorial only)

build/notebooks/%.ipynb: tutorials/%.py | $(STAMP)
	@mkdir -p $(@D)
	$(VENV)/bin/jupytext --quiet --to ipynb --set-kernel python3 -o $@ $<

$(VENV)/.jupyter: $(STAMP)
	$(PY) -m pip install --quiet -e '.[jupyter]'
	touch $@

jupyter: notebooks $(VENV)/.jupyter ## open the tutorial notebooks in JupyterLab (installs it into .venv)
	cd build/notebooks && $(CURDIR)/$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## remove the venv, caches, build/ and out/
	rm -rf $(VENV) build out .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
