# Remedium: `make run` starts the whole system locally, `make test` runs the test suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint format bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

SEED ?=
# Most of the suite waits on brokers and servers rather than the CPU: run test files side by side.
TEST_WORKERS ?= 3
run: $(STAMP)
	$(BIN)/remedium run $(if $(SEED),--seed)

test: $(STAMP)
	bash scripts/ensure-chromium.sh
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

.PHONY: chaos
chaos: $(STAMP)  ## crash safety at scale: thousands of commands, many kill -9s (under 15 minutes)
	REMEDIUM_CHAOS=1 $(BIN)/pytest -m chaos -s -p no:logging tests/reliability

bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.run

lint: $(STAMP)
	$(BIN)/ruff check shared services remedium_client bench tests
	$(BIN)/ruff format --check shared services remedium_client bench tests
	$(BIN)/mypy shared services remedium_client bench

format: $(STAMP)
	$(BIN)/ruff check --fix shared services remedium_client bench tests
	$(BIN)/ruff format shared services remedium_client bench tests

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
