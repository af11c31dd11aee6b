# The project's commands. Each creates the Python environment first if it is missing or stale.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

.PHONY: env demo test up down lint format warehouse-stop locale

$(UV):
	python3 -m pip install --quiet --user uv

# --compile-bytecode: the packages' bytecode is written once, here. Where PYTHONDONTWRITEBYTECODE is set
# (our machines, most container images) Python never writes it, so every process would compile what it
# imports again: 0.7 s of CPU for each dbt command (docs/benchmarks.md, session 14, "Bytecode").
$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

env: $(SYNCED)  ## create / update the virtual environment from uv.lock

demo: env  ## embedded warehouse + emulator → materialise every asset → print the result
	$(BIN)/b24ops demo

# One worker per core (pytest-xdist), a module per worker: each module builds its own databases, emulators
# and Superset, so modules run side by side; most of a module's time is dbt and PostgreSQL working.
# --durations=25: every log lists the slowest tests, where the suite's 20-minute budget goes.
TEST_WORKERS ?= auto
test: env  ## the whole test suite (real PostgreSQL, dbt, Dagster, emulator over HTTP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --durations=25

up: env  ## Dagster UI + daemon on 127.0.0.1 (URL printed)
	$(BIN)/b24ops up

down:  ## stop what `up` and `demo` started, and the embedded warehouse
	@if [ -x $(BIN)/b24ops ]; then $(BIN)/b24ops down; fi

lint: env
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: env
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The labels' catalogue (orchestration/i18n.py): extract every label (babel.cfg) and merge the new ones into
# the Russian catalogue, whose empty msgstr then wait for a translation (tests/i18n fails until they have one).
locale: env  ## extract the labels and update locale/ru/LC_MESSAGES/b24ops.po
	@mkdir -p .data/locale
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o .data/locale/b24ops.pot .
	$(BIN)/pybabel update -i .data/locale/b24ops.pot -d locale -D b24ops -l ru --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
