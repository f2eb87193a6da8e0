# Handover: `make run` and `make test` are all a newcomer needs; both install what is missing first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NODE_STAMP := clients/node_modules/.package-lock.json
ROLE ?= city_admin
DISTRICT ?=
BANK ?=
SUB ?= dev-user
PRIVATE_KEY ?=

.PHONY: install test-tools system run demo test lint format openapi clients token train bench mutate clean

install: $(STAMP)

# What only the tests need: Debian's Chromium and Node.js, and the pinned npm tools. `make run` does without.
test-tools: install system $(NODE_STAMP)

# Chromium, its driver, Node.js and npm, from Debian's packages when missing (see .ci/system-packages).
system:
	@bash .ci/system-packages

# The pinned client generator, TypeScript and Redocly, from clients/package-lock.json (the one step that needs
# the npm registry); skipped when npm is missing.
$(NODE_STAMP): clients/package.json clients/package-lock.json
	@if command -v npm >/dev/null; then cd clients && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "npm is missing: the TypeScript client tests will skip" >&2; fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/python -m services.run

demo: install
	$(BIN)/python -m services.run --demo

# Two workers, a test file to each at a time (module fixtures start their processes once); then the schemathesis
# runs on their own: under xdist schemathesis collects an API's cases as one test (1 passed where 47 pass alone).
test: test-tools
	$(BIN)/pytest -n 2 --dist loadfile -m "not fuzz"
	$(BIN)/pytest -m fuzz

lint: install
	$(BIN)/ruff check services tests bench
	$(BIN)/ruff format --check services tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format services tests bench
	$(BIN)/ruff check --fix services tests bench

openapi: install
	$(BIN)/python -m services.openapi

# A TypeScript client per committed document (clients/generated/, not committed), compiled with the typed
# example under tsc --strict, and the documents linted by Redocly (no errors allowed).
clients: test-tools
	cd clients && npm run --silent build && npm run --silent lint

token: install
	@$(BIN)/python -m services.common.auth --role $(ROLE) --sub $(SUB) $(if $(DISTRICT),--district $(DISTRICT)) $(if $(BANK),--bank $(BANK)) $(if $(PRIVATE_KEY),--private-key $(PRIVATE_KEY))

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
	rm -rf var mutants .pytest_cache .mypy_cache .ruff_cache clients/generated clients/dist
