# Two entry points (see README): `make run` serves the demo, `make test` runs the suite.
# Both are idempotent: the venv is rebuilt only when pyproject.toml or requirements.lock change.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench services train browser

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
	DEALSIGNAL_REQUIRE_POSTGRES=1 DEALSIGNAL_REQUIRE_BROWSER=1 $(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy transcribe extract signals models api

train: install
	$(BIN)/dealsignal train
