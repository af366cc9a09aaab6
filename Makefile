# Heatshield: `make run` plays the whole loop locally; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint format typecheck bench faults messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP) $@

## run: set up, migrate the SQLite database and serve the bot with the playground
run: $(STAMP)
	$(BIN)/heatshield db upgrade
	$(BIN)/heatshield serve

## test: set up with the test extras, lint, type-check, check the import contracts (the floors)
## and run the suite on SQLite and PostgreSQL
test: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(TEST_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

## bench: triage quality on the labelled set, intake latency, and the scheduler tick's cost
bench: $(TEST_STAMP)
	$(BIN)/python bench/triage_quality.py
	$(BIN)/python bench/intake_latency.py
	$(BIN)/python bench/scheduler_tick.py

## faults: every HTTP entry fuzzed with 10,000 cases each, then the fault suite against real
## replicas on PostgreSQL (kill -9, 503 and 429, SIGTERM, replicas started together)
faults: $(TEST_STAMP)
	HEATSHIELD_FUZZ_EXAMPLES=10000 $(BIN)/pytest -q --timeout 3600 -k fuzz tests/adapters
	$(BIN)/python bench/faults.py

## messages: extract the catalog's texts from the code and merge them into the nl catalog
messages: $(TEST_STAMP)
	$(BIN)/pybabel extract --no-location --omit-header -k t -k N_ -k translate:2 -k n:1,2 -k translate_plural:2,3 \
		--sort-output -o $(VENV)/heatshield.pot bot handlers adapters
	$(BIN)/pybabel update --no-fuzzy-matching -w 100 \
		-i $(VENV)/heatshield.pot -d bot/kernel/locale -D heatshield -l nl

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
