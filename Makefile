# The two commands of the README:
#   make run   - install into .venv, migrate the SQLite database under instance/,
#                load the demo data, serve the app and print its URL
#   make test  - install everything the tests need (Chromium, PostgreSQL running)
#                and run the whole suite on SQLite and PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-test system-deps lint bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,postgres]"

run: install
	$(BIN)/assessor serve --host $(HOST) --port $(PORT)

system-deps:
	@bash .ci/system-deps

lint: install-test
	$(BIN)/ruff check .

test: install-test system-deps
	$(BIN)/python -m pytest

bench: install-test
	$(BIN)/python bench/scoring.py
