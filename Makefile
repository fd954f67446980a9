# Pressroom: `make run` serves the demo, `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test api-check lint format axe e2e messages clean bench bench-quick chaos

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	DEBUG=$${DEBUG:-true} $(PY) -m pressroom.embedded $(PY) manage.py rundemo --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The API against its own OpenAPI document (tests/apicheck/): the demo on loopback, in a throwaway
# directory, and schemathesis with every check. API_CHECK_ARGS="--max-examples 100" looks harder.
API_CHECK_ARGS ?=
api-check: install
	$(PY) -m tests.apicheck $(API_CHECK_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Browser tests: Debian's Chromium (apt-get install -y chromium) and axe-core from the npm registry.
AXE_VERSION := 4.14.1
AXE_JS := tests/browser/.axe/node_modules/axe-core/axe.min.js

$(AXE_JS):
	npm install --prefix tests/browser/.axe --no-audit --no-fund --no-save axe-core@$(AXE_VERSION)

axe: $(AXE_JS)

e2e: install axe
	$(PY) -m pytest -m browser $(PYTEST_ARGS)

# Fault injection (docs/reliability.md): workers, broker, provider and database failing mid-mailing.
# CHAOS_RUNS=5 repeats every scenario five times.
chaos: install
	$(PY) -m pytest -m chaos tests/chaos $(PYTEST_ARGS)

# Extract and compile the interface translations (needs GNU gettext); the compiled .mo files are
# committed so that a fresh clone shows both languages without gettext.
messages: install
	DEBUG=true $(PY) manage.py makemessages -l nb -l en --ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=true $(PY) manage.py compilemessages --ignore '.venv/*'

# Benchmarks (docs/performance.md): fan-out, django-newsletter and pages, on this machine's PostgreSQL.
# The full run goes up to 1M recipients; BENCH_SIZES=10000,100000 makes it shorter.
$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m bench

bench-quick: $(VENV)/.bench-installed
	$(PY) -m bench --quick

clean:
	rm -rf $(VENV) var staticfiles db.sqlite3
