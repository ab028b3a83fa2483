# 云睐 AggreSmart back office. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: help install system-deps run cluster test lint check-migrations test-sqlite test-postgres e2e bench messages clean backup restore-check

help:
	@echo "make run      install, migrate, load demo data, start web server + task worker (PORT=$(PORT))"
	@echo "make cluster  rehearsal: nginx, 2 web nodes, 2 task workers, Redis, S3 (moto), PostgreSQL"
	@echo "make test     install, lint (ruff, import contracts), migration check, whole test suite"
	@echo "make install  install only"
	@echo "make bench    benchmarks on PostgreSQL (SCALE=0.01 for a quick run; bench/README.md)"
	@echo "make backup   pg_dump -Fc + media into var/backups/<time>/ (OUT=dir; README Backups)"
	@echo "make restore-check  restore the newest backup (BACKUP=dir) into a fresh database and verify it"

# System packages: Chromium for browser tests, a CJK TrueType font for PDFs, gettext.
system-deps:
	@bash scripts/system-deps.sh

$(VENV)/.installed: pyproject.toml scripts/find-python.sh
	@PYBIN=$$(bash scripts/find-python.sh) || exit 1; \
	  if [ ! -x "$(PY)" ]; then echo "Creating $(VENV) with $$PYBIN"; "$$PYBIN" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

install: system-deps $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0

run: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py loaddemo
	$(PY) manage.py setup_schedules
	$(PY) manage.py demo_banner
	@bash scripts/run.sh

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

check-migrations:
	DJANGO_SETTINGS_MODULE=backoffice.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=backoffice.settings.test $(PY) manage.py makemigrations --check --dry-run

# Several nodes on one machine (README "Rehearsal: several nodes on one machine"):
# nginx on CLUSTER_PORT (8180) in front of two gunicorn nodes, two qclusters, Redis,
# moto's S3 server and the database aggresmart_cluster on 127.0.0.1:5432. Ctrl-C stops all.
cluster: install
	@bash scripts/system-deps.sh cluster
	@bash deploy/cluster.sh up

test: install lint check-migrations
	$(VENV)/bin/pytest

# The same suite on PostgreSQL (needs a server on 127.0.0.1:5432). Locally the test
# database is kept between runs (--reuse-db; --create-db after a migration change);
# CI (.ci/run) creates it afresh every time.
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/backoffice} $(VENV)/bin/pytest --reuse-db $(ARGS)

e2e: install
	$(VENV)/bin/pytest -m e2e

# Benchmarks at scale on PostgreSQL (bench/README.md): `make bench` is the full scale
# (about 11 minutes on 2 cores with the 100k-order export); `make bench SCALE=0.01` takes about a minute. ARGS passes more
# options, e.g. ARGS="--reuse --only portal,pdf".
bench: install
	$(PY) -m bench $(if $(SCALE),--scale $(SCALE)) $(ARGS)

# Refresh locale/zh_Hans from the sources, fill it from locale/pending/*.json, compile.
messages: install
	$(PY) scripts/i18n.py

# Backups (README "Backups"; DATABASE_URL must be PostgreSQL): the database in custom format
# plus the media folder or bucket; restore-check restores into a fresh database, compares
# every table's row count, runs check_ledgers, checks the media and fails on any difference.
backup: install
	VENV=$(VENV) bash scripts/backup.sh $(if $(OUT),--out $(OUT))

restore-check: install
	VENV=$(VENV) bash scripts/restore.sh $(BACKUP)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache *.egg-info
