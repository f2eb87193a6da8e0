# Handover: `make run` and `make test` are all a newcomer needs; both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROLE ?= city_admin
DISTRICT ?=
BANK ?=
SUB ?= dev-user
PRIVATE_KEY ?=

.PHONY: install run demo test test-fast lint format openapi token train bench clean

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
	@$(BIN)/python -m services.common.auth --role $(ROLE) --sub $(SUB) $(if $(DISTRICT),--district $(DISTRICT)) $(if $(BANK),--bank $(BANK)) $(if $(PRIVATE_KEY),--private-key $(PRIVATE_KEY))

train: install
	$(BIN)/python -m services.risk.model.train --synthetic --seed 20251125 --out services/risk/artifacts/

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
