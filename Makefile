# The two commands of the README: `make run` and `make test`. Each installs what it
# needs by itself (a virtual environment, the Python packages, Azurite from npm), once.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := .make

.PHONY: run test lint bootstrap clean demo bench reliability

# Python keeps compiled modules (__pycache__, git-ignored) even where the environment says not
# to write them: otherwise every process of a test run (two workers, the `make run` and
# `make demo` subprocesses) compiles the app and its tests again, 4 s of each worker's start.
unexport PYTHONDONTWRITEBYTECODE

bootstrap: $(STAMP)/python $(STAMP)/node

$(STAMP)/python: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	mkdir -p $(STAMP) && touch $@

# checkov (run by tests/infra) gets its own environment: it pins packaging<24, which pytest refuses.
$(STAMP)/checkov: infra/requirements-checks.txt
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/python -m pip install --quiet --disable-pip-version-check -r infra/requirements-checks.txt
	mkdir -p $(STAMP) && touch $@

# Browser tests (tests/browser) drive Debian's chromium through Playwright: the system
# package, never a browser downloaded by a test tool. CI runs as root on Debian.
$(STAMP)/chromium:
	command -v chromium || (apt-get update && apt-get install -y --no-install-recommends chromium)
	mkdir -p $(STAMP) && touch $@

$(STAMP)/node: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(STAMP) && touch $@

# mypy reads its files and strictness from pyproject.toml ([tool.mypy]).
lint: bootstrap
	$(BIN)/ruff check .
	$(BIN)/python -m mypy

# Two workers (pytest-xdist), each with its own Azurite, emulators and app host
# (tests/harness.py); a worker that runs out of tests takes some of the other's (worksteal), so
# neither waits at the end. Line coverage of sync_core is reported at the end and may not fall
# below the floor in pyproject.toml ([tool.coverage.report] fail_under).
TEST_WORKERS ?= 2

test: lint $(STAMP)/checkov $(STAMP)/chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --cov --cov-report=term:skip-covered

run: bootstrap
	$(BIN)/python -m localdev.run

demo: bootstrap
	$(BIN)/python -m localdev.demo

# The reliability scenarios at the issue's full counts (docs/reliability.md); make test runs them small.
reliability: bootstrap
	RELIABILITY_FULL=1 $(BIN)/python -m pytest -s -p no:cacheprovider tests/reliability tests/property

# Every benchmark at full size on 127.0.0.1; writes docs/performance.md and bench/results/.
bench: bootstrap
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) node_modules $(STAMP) .azurite
