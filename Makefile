# Portal: `make run` starts it, `make test` runs every test. `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST_PORT ?= 127.0.0.1:8000
# The portal's own origin follows HOST_PORT (`make run HOST_PORT=127.0.0.1:8011`): the emulator's
# widget, Dokobit's return URLs and the e-mailed links are built from it. Set PORTAL_BASE_URL
# yourself to override it.
PORTAL_BASE_URL ?= http://$(HOST_PORT)

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-14s %s\n", $$1, $$2}'

# The requirements*.txt files are lock files (every package, with its hashes) compiled from requirements*.in:
# edit the .in file, then `make lock`. Production installs requirements.txt alone.
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check --require-hashes

$(VENV)/.runtime: requirements.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) -r requirements.txt
	touch $@

# The offline Dokobit emulator's packages: `make run` and the tests use the emulator, production does not.
$(VENV)/.emulator: requirements-emulator.txt $(VENV)/.runtime
	$(PIP_INSTALL) -r requirements.txt -r requirements-emulator.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime $(VENV)/.emulator
	$(PIP_INSTALL) -r requirements-dev.txt -r requirements-emulator.txt
	touch $@

# pip-tools runs from its own throwaway venv, so the project's venv never holds it.
lock: ## Recompile the lock files (requirements*.txt) from requirements*.in, keeping the pins already there
	test -x .venv-lock/bin/pip-compile || { $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet pip-tools; }
	for f in requirements.in requirements-emulator.in requirements-dev.in; do \
	  .venv-lock/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $$f || exit 1; done

install: $(VENV)/.runtime ## Create .venv and install the runtime packages

# --fake-initial: a db.sqlite3 made before the emulator had migrations already holds its tables.
run: $(VENV)/.runtime $(VENV)/.emulator ## Start the portal at http://127.0.0.1:8000 (SQLite, emulator, in-process tasks, console mail)
	DEBUG=true $(PY) manage.py migrate --noinput --fake-initial
	DEBUG=true PORTAL_BASE_URL=$(PORTAL_BASE_URL) $(PY) manage.py create_demo_admin
	DEBUG=true PORTAL_BASE_URL=$(PORTAL_BASE_URL) $(PY) manage.py runserver $(HOST_PORT)

# pytest's exit code 5 means "no test selected" (a PYTEST_ARGS that names other tests): not a failure.
PYTEST_OK := rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]
# How many pytest processes (pytest-xdist) the suite and the make-run journeys use. Each has its
# own test database and, on Redis, its own cache and test broker database (portal/settings/test.py).
# Three on two cores: the journeys and the services tests spend much of their time waiting (a
# page's poll, a worker's answer), so a third process keeps both cores busier. A module per process
# (loadfile), in the order tests/conftest.py gives: the long modules first, so none is left at the end.
TEST_PROCESSES ?= 3
PARALLEL := -n $(TEST_PROCESSES) --dist loadfile --no-loadscope-reorder
# The suite in three parts: everything but the make-run journeys on TEST_PROCESSES processes, a
# test module per process (a module of journeys starts its portal once; the services tests start
# real workers, gunicorn and beat; skipped without PostgreSQL and Redis outside CI); then the tests
# marked `alone` (one restarts the PostgreSQL server under everyone's feet); then the journeys of
# the `make run` setup on SQLite, a module per process as well.
test: $(VENV)/.dev ## Install what the tests need and run the whole suite (lint included), journeys in both setups
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@$(MAKE) --no-print-directory lint-js
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/pytest $(PARALLEL) \
		-m "(not journey or services) and not alone" $(PYTEST_ARGS); $(PYTEST_OK)
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/pytest -m alone $(PYTEST_ARGS); $(PYTEST_OK)
	$(MAKE) --no-print-directory test-journeys

test-journeys: $(VENV)/.dev ## The journeys in the `make run` setup (SQLite, tasks and emulator in the web process)
	env -u DATABASE_URL DJANGO_SETTINGS_MODULE=portal.settings.test \
		$(BIN)/pytest $(PARALLEL) -m "journey and not services" $(PYTEST_ARGS); $(PYTEST_OK)

lint: $(VENV)/.dev ## ruff, mypy, eslint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@$(MAKE) --no-print-directory lint-js

# eslint is pinned in package.json/package-lock.json; `npm ci` runs again only when those change.
node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

# Without node and npm the step is skipped on a workstation but fails in CI, where it must run.
lint-js: ## eslint on static/js and the emulator's scripts (needs node and npm)
	@if command -v npm >/dev/null 2>&1; then \
	  $(MAKE) --no-print-directory -s node_modules/.installed && echo "npx eslint" && npx --no-install eslint; \
	elif [ -n "$$CI" ]; then \
	  echo "eslint needs node and npm, which are not installed (Debian: apt-get install nodejs npm)"; exit 1; \
	else \
	  echo "Skipping eslint: node and npm are not installed (Debian: apt-get install nodejs npm)"; \
	fi

test-unit: $(VENV)/.dev ## Unit and HTTP-mocked tests only
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/pytest -n $(TEST_PROCESSES) -m "not browser and not services" $(PYTEST_ARGS)

test-browser: $(VENV)/.dev ## Browser tests (Playwright + Debian's chromium)
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/pytest -m browser $(PYTEST_ARGS)

test-services: $(VENV)/.dev ## Tests against PostgreSQL and Redis (DATABASE_URL, REDIS_URL)
	DJANGO_SETTINGS_MODULE=portal.settings.test $(BIN)/pytest -m services $(PYTEST_ARGS)

worker: $(VENV)/.runtime ## A Celery worker (needs CELERY_BROKER_URL)
	@test -n "$$CELERY_BROKER_URL" || { echo "Set CELERY_BROKER_URL (e.g. redis://127.0.0.1:6379/0): without it tasks run in the web process"; exit 1; }
	$(BIN)/celery -A portal worker

migrate: $(VENV)/.runtime ## Apply migrations
	$(PY) manage.py migrate

messages: $(VENV)/.dev ## Refresh and compile the translation catalogues
	$(PY) manage.py makemessages --all --ignore=.venv --ignore=tests -v0
	$(PY) manage.py compilemessages --ignore=.venv -v0

bench: $(VENV)/.dev ## Run the benchmarks at full size (figures in bench/results/); ends "N goals met, M missed"
	$(PY) -m bench.run $(BENCH)

bench-smoke: $(VENV)/.dev ## Every benchmark at a tiny size, in seconds, to prove it runs (the test suite runs it too)
	$(PY) -m bench.run --smoke $(BENCH)

.PHONY: lock lint-js
.PHONY: bench bench-smoke help install run test test-journeys lint test-unit test-browser test-services worker migrate messages
