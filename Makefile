# genoclass: `make demo` and `make test` work on a fresh machine.
# torch==2.13.0 is installed first, on its own, so pip takes the local CPU wheel instead of
# pulling a CUDA build in as a dependency of lightning/captum.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.genoclass-installed

.PHONY: install demo test test-realdata lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/genoclass demo --out genoclass_demo

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -m "not realdata"

test-realdata: $(STAMP)
	$(BIN)/python -m pytest -q -m realdata

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) genoclass_demo .pytest_cache
