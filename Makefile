# Two entry points (see README): `make run` serves the demo, `make test` runs the suite.
# Both are idempotent: the venv is rebuilt only when pyproject.toml or requirements.lock change.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run run-distributed test lint bench services train browser

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	# torch first, pinned: the CPU wheel on local disk; anything looser pulls a multi-GB CUDA build
	$(BIN)/pip install -q --disable-pip-version-check torch==2.13.0
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/dealsignal migrate
	$(BIN)/dealsignal demo load
	$(BIN)/dealsignal serve --host $(HOST) --port $(PORT)

services:
	@bash .ci/services.sh

# The browser tests drive Debian's Chromium (no browser downloads here); install it once.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)

test: install services browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEALSIGNAL_REQUIRE_POSTGRES=1 DEALSIGNAL_REQUIRE_BROWSER=1 DEALSIGNAL_SCREENSHOT_DIR=var/screenshots \
	  $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy transcribe extract signals models api

train: install
	$(BIN)/dealsignal train

DIST_DBNAME ?= dealsignal
DIST_DB ?= postgresql+psycopg://postgres@127.0.0.1:5432/$(DIST_DBNAME)
DIST_BROKER ?= redis://127.0.0.1:6379/1
DIST_WORKERS ?= 2

# The production layout on this machine: PostgreSQL + Redis, DIST_WORKERS workers, the API in front.
run-distributed: install services
	@psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$(DIST_DBNAME)'" | grep -q 1 \
	  || createdb -h 127.0.0.1 -U postgres $(DIST_DBNAME)
	@mkdir -p var/shared var/log
	@export DEALSIGNAL_DATABASE_URL='$(DIST_DB)' DEALSIGNAL_RUNNER__KIND=celery \
	  DEALSIGNAL_RUNNER__BROKER_URL='$(DIST_BROKER)' DEALSIGNAL_DATA_DIR=var/shared \
	  DEALSIGNAL_TRANSCRIBE__CPU_THREADS=$$(( $$(nproc) / $(DIST_WORKERS) > 0 ? $$(nproc) / $(DIST_WORKERS) : 1 )); \
	$(BIN)/dealsignal migrate || exit; \
	pids=; for n in $$(seq $(DIST_WORKERS)); do \
	  $(BIN)/dealsignal worker > var/log/worker-$$n.log 2>&1 & pids="$$pids $$!"; done; \
	trap 'kill -TERM $$pids 2>/dev/null; wait $$pids' EXIT; \
	echo "$(DIST_WORKERS) workers (logs: var/log/worker-*.log); health: http://$(HOST):$(PORT)/healthz, metrics: /metrics"; \
	$(BIN)/dealsignal demo load && $(BIN)/dealsignal serve --host $(HOST) --port $(PORT)
