# `make demo` and `make test` are all a newcomer needs; both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The CPU wheel of this torch is on local disk; any other pin pulls GBs of CUDA packages.
TORCH_PIN := torch==2.13.0
DEMO_MODEL := models/demo

.PHONY: demo test install install-dev clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet $(TORCH_PIN)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

demo: install
	$(BIN)/forecaster train sample_data/energy_hourly.csv --target load --holdout 96 --epochs 30 --out $(DEMO_MODEL) --force
	$(BIN)/forecaster predict $(DEMO_MODEL) --data sample_data/energy_hourly.csv --horizon 12
	$(BIN)/forecaster evaluate $(DEMO_MODEL) --data sample_data/energy_hourly.csv
	$(BIN)/forecaster info $(DEMO_MODEL)

test: install-dev
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) $(DEMO_MODEL) .pytest_cache
