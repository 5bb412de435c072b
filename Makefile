# The README's commands. `make run` and `make test` work on a machine that has never seen
# the project: they create .venv and install into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: install run demo test lint format migrate worker bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install web
	$(BIN)/sentinel migrate
	$(BIN)/sentinel serve

# Demo data for a newcomer: starts `sentinel serve` in the background unless one answers on
# the configured port, back-fills an hour and sends live traffic until Ctrl+C (which also
# stops the server it started). Builds the UI first, as `make run` does.
demo: install web
	$(BIN)/sentinel migrate
	$(BIN)/sentinel demo --serve

worker: install
	$(BIN)/sentinel worker

migrate: install
	$(BIN)/sentinel migrate

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy --strict src

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)
	$(MAKE) web-test

# The web UI (web/, docs/web.md): `make web` installs the locked npm dependencies, generates
# the typed API client from `sentinel openapi`, type-checks and builds into
# src/sentinel/web/static/; it does nothing when web/ sources, the lock and the API are
# unchanged. Needs Node.js 20.19+ and npm; the e2e tests need Chromium at /usr/bin/chromium.
.PHONY: web web-test
web: install
	node web/scripts/build-if-changed.mjs

web-test: web
	cd web && npm test
	cd web && npm run e2e

format: install
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
	rm -rf web/node_modules web/.built web/openapi.json web/src/api/schema.d.ts src/sentinel/web/static
