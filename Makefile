# Handover: `make run` and `make test` are all a newcomer needs; both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROLE ?= city_admin
DISTRICT ?=
BANK ?=
SUB ?= dev-user

.PHONY: install run demo test test-fast lint format openapi token train bench mutate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/python -m services.run

demo: install
	$(BIN)/python -m services.run --demo

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format services tests bench
	$(BIN)/ruff check --fix services tests bench

openapi: install
	$(BIN)/python -m services.openapi

token: install
	@$(BIN)/python -m services.common.auth --role $(ROLE) --sub $(SUB) $(if $(DISTRICT),--district $(DISTRICT)) $(if $(BANK),--bank $(BANK))

train: install
	$(BIN)/python -m services.risk.model.train --synthetic --seed 20251125 --out services/risk/artifacts/

bench: install
	$(BIN)/python -m bench

# Mutation testing of the modules that guard money, scope, signatures and idempotency ([tool.mutmut] in
# pyproject.toml); not part of CI. Survivors and why they live are listed in the README.
mutate: install
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	$(BIN)/mutmut run --max-children 2
	$(BIN)/mutmut results

clean:
	rm -rf var mutants .pytest_cache .mypy_cache .ruff_cache
