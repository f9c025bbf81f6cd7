# jinfu (金服): the two commands are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6 needs Python >= 3.12: take the first one found (PATH, then pyenv).
PYTHON ?= $(shell for p in python3.12 python3.13 $$(ls -d /root/.pyenv/versions/3.12*/bin/python /root/.pyenv/versions/3.13*/bin/python 2>/dev/null); do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/jinfu/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000
ENTERPRISES ?= 3000
PYTEST_ARGS ?=

.PHONY: help install demo serve test test-sqlite test-postgres lint format bench messages clean

help:
	@echo "make demo   install, build the database, load reference + demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   install, lint, run every test (SQLite; PostgreSQL too when JINFU_TEST_DATABASE_URL is set)"
	@echo "make bench  run the benchmarks"
	@echo "make serve  serve without reloading data"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "jinfu needs Python >= 3.12 (python3.12 on PATH or pyenv)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	@# Chinese glyphs for the charts in generated Word reports (Debian fonts-noto-cjk); root installs it
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq fonts-noto-cjk)) \
		|| echo "note: install fonts-noto-cjk for Chinese text in report charts"; }
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(VENDOR)/.installed: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts.min.js
	@touch $@

install: $(VENV)/.installed $(VENDOR)/.installed

demo: install
	$(BIN)/jinfu demo --enterprises $(ENTERPRISES) --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/jinfu serve --host $(HOST) --port $(PORT)

# Only the directories that exist in this checkout (bench/ may be empty in git).
LINT_PATHS = $(wildcard src tests bench/*.py)

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

test-sqlite: install
	JINFU_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest -n 2 $(PYTEST_ARGS)

# The same suite on PostgreSQL (browser journeys and the Spark parity tests, which touch no database, run
# once, on SQLite).
test-postgres: install
	@if [ -n "$$JINFU_TEST_DATABASE_URL" ]; then \
		JINFU_DATA_DIR=$(CURDIR)/var/test DATABASE_URL="$$JINFU_TEST_DATABASE_URL" $(BIN)/pytest -n 2 -m "not browser and not spark" $(PYTEST_ARGS); \
	else echo "JINFU_TEST_DATABASE_URL not set: PostgreSQL run not requested (.ci/run sets it)"; fi

test: lint test-sqlite test-postgres

# Full-scale benchmarks (1M enterprises x 1,000 products; several minutes). Quick run:
#   make bench BENCH_ENTERPRISES=100000 BENCH_PRODUCTS=200
BENCH_ENTERPRISES ?= 1000000
BENCH_PRODUCTS ?= 1000
# Spark vs Polars at city scale: all 3.7 M enterprises in one run (~3 min on a quiet 2-core machine); a
# smaller share (SPARK_FRACTION=0.1) scales its times linearly (docs/benchmarks.md)
SPARK_FRACTION ?= 1
bench: install
	@# every bench/*_bench.py declaring "# make bench N: ARGS" (bench/suite.py); a new one needs no line here
	$(BIN)/python bench/suite.py --enterprises $(BENCH_ENTERPRISES) --products $(BENCH_PRODUCTS) --spark-fraction $(SPARK_FRACTION)
	@echo "figures and machine: docs/benchmarks.md"

messages: install
	cd src/jinfu && DJANGO_SETTINGS_MODULE=jinfu.settings PYTHONPATH=$(CURDIR)/src \
		$(CURDIR)/$(BIN)/django-admin makemessages -l en --add-location=file --no-obsolete \
		--ignore=.venv/* --ignore=node_modules/* --ignore=static/vendor/* --ignore=*/migrations/* \
	&& DJANGO_SETTINGS_MODULE=jinfu.settings PYTHONPATH=$(CURDIR)/src $(CURDIR)/$(BIN)/django-admin compilemessages

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
