# Two commands for a newcomer: `make lab` and `make test` (see README.md). `make unit` is the one-minute loop.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(EXTRAS)

.PHONY: lab demo unit test test-slow test-wheel test-oldest bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-%: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[$*]"
	touch $@

# Jupyter refuses to run as root without --allow-root (containers, CI boxes): pass it only then.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(VENV)/.installed-sim,lab
	cd notebooks && ../$(BIN)/jupyter lab $(ROOT_FLAG) 01_quickstart.ipynb

demo: $(VENV)/.installed-sim
	$(BIN)/wan-nb generate --provider sim --image examples/cat.png \
		--prompt "a cat turns its head toward the window, soft light" --out wan_outputs

lint: $(VENV)/.installed-dev,sim
	$(BIN)/ruff check wan_nb tests bench
	$(BIN)/ruff format --check wan_nb tests bench
	$(BIN)/mypy

# tests/unit only: no socket, subprocess, kernel or sleep, so neither lint nor Chromium is needed (< 1 min).
unit: $(VENV)/.installed-dev,sim
	$(BIN)/python -m pytest -q tests/unit

# The whole gate: lint, then every tier (unit, integration, notebooks, browser) but the slow proofs.
test: $(VENV)/.installed-dev,sim lint
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -m "not slow"

test-slow: $(VENV)/.installed-dev,sim
	$(BIN)/python -m pytest -m slow

# What .ci/run adds after `make test`: the wheel in a fresh venv without extras, and the oldest versions.
test-wheel:
	bash scripts/wheel-check.sh $(PYTHON)

test-oldest:
	bash scripts/oldest-deps.sh $(PYTHON)

bench: $(VENV)/.installed-dev,sim
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
