# Every target builds its own virtual environment, so a fresh machine needs only Python 3.10+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run lint bench install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,plot]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

run: $(STAMP)
	$(BIN)/python -m tinygrad_opt run

lint: $(STAMP)
	$(BIN)/ruff check tinygrad_opt tests benchmarks examples

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache
	find tinygrad_opt -name '*.nbi' -delete -o -name '*.nbc' -delete  # Numba's cache
