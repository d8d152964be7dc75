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

# one worker per core, each test file on one worker (its module-level fixtures and
# figures stay together); every worker creates and drops its own databases
test: install-test system-deps
	$(BIN)/python -m pytest -n auto --dist loadfile

# make bench [BENCH_ARGS=--quick]: every benchmark under bench/, figures in bench/results/
bench: install-test
	$(BIN)/pip install --quiet -e ".[test,postgres,bench]"
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; } || \
		echo "bench: bench/web.py needs Debian's wrk (apt-get install wrk)"
	$(BIN)/python bench/scoring.py $(BENCH_ARGS)
	$(BIN)/python bench/queries.py $(BENCH_ARGS)
	$(BIN)/python bench/pdf.py $(BENCH_ARGS)
	$(BIN)/python bench/web.py $(BENCH_ARGS)
