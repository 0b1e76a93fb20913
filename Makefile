# Cadreflow — see README.md. Every target installs what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
PORT   ?= 5000
BACKEND ?= all

.PHONY: run test lint bench serve setup setup-dev system-deps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

# Debian's Chromium for the browser tests and CJK fonts for readable screenshots.
system-deps:
	@scripts/system-deps.sh

## run: set up, migrate, load the demo organization on first start, start the scheduler and
## serve on http://127.0.0.1:$(PORT)
run: setup
	@PORT=$(PORT) scripts/run.sh

## test: the whole suite on SQLite, then again on PostgreSQL when one is reachable
test: setup-dev system-deps
	@scripts/test.sh

## serve: production-style: apply the migrations, then gunicorn with gunicorn.conf.py (workers from
## WEB_CONCURRENCY, address from BIND, JSON logs); DATABASE_URL and SECRET_KEY from the environment
serve: setup
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## bench: the benchmarks of bench/ against the floor of the same stack, on SQLite and PostgreSQL
## (BACKEND=sqlite|postgresql|all, BENCH_SCALE=1 for the province size, BENCH_ARGS for more); one table
bench: setup-dev
	$(BIN)/python -m bench --backend $(BACKEND) $(if $(BENCH_SCALE),--scale $(BENCH_SCALE)) $(BENCH_ARGS)

lint: setup-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache test-artifacts
