# The README's two commands are `make serve` and `make test`; each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: serve test lint format bench lock clean

# The installer: uv (pinned), bootstrapped into the venv from the package index with pip; it
# installs the locked requirements in seconds where pip takes minutes. Without it (an index
# that lacks it), pip does the same work.
UV_VERSION := 0.13.9

$(STAMP): requirements/lock.txt pyproject.toml clients/python/pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Roster needs Python 3.11 or newer (found " + sys.version.split()[0] + "); set PYTHON=/path/to/python3.11")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION) 2>/dev/null; then \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements/lock.txt && \
	  $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . -e ./clients/python ; \
	else \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . -e ./clients/python ; \
	fi
	@touch $@

## Start Roster on embedded SQLite (./var/roster.db); prints an admin key on first start.
serve: $(STAMP)
	$(BIN)/roster serve $(ARGS)

## Run the whole test suite: every database test on SQLite and on PostgreSQL.
test: $(STAMP)
	$(BIN)/pytest $(ARGS)

## ruff (lint + format check) and mypy --strict on src/ and the SDK (clients/python).
lint: $(STAMP)
	$(BIN)/ruff check src tests bench clients/python
	$(BIN)/ruff format --check src tests bench clients/python
	$(BIN)/mypy src clients/python/roster_client

format: $(STAMP)
	$(BIN)/ruff format src tests bench clients/python
	$(BIN)/ruff check --fix src tests bench clients/python

## Benchmarks (never part of the test suite); ARGS="--small" for 100k contacts.
bench: $(STAMP)
	$(BIN)/python -m bench $(ARGS)

## Re-resolve dependencies from pyproject.toml into requirements/lock.txt.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -e '.[dev]' setuptools wheel
	(echo "# Exact versions of every runtime and development dependency; 'make lock' rewrites it."; \
	 .venv-lock/bin/pip freeze --all --exclude-editable | grep -viE '^(roster|pip)==') > requirements/lock.txt
	rm -rf .venv-lock

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
