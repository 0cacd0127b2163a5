# clvcrm — the two commands a newcomer needs are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test lint format bench bench-import bench-clv bench-segments bench-loyalty bench-api bench-campaigns bench-results bench-nps bench-pages run worker clean

# manage.py, wsgi.py and the Celery app default to the production settings; the development
# targets say they want the local ones (SQLite, in-process tasks, a development key).
demo worker: export DJANGO_SETTINGS_MODULE := clvcrm.settings.local

demo: $(VENV)/.main-installed  ## embedded demo: SQLite, in-process tasks, seeded shop, served on :8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py seed_demo_history
	$(BIN)/python manage.py seed_demo_campaigns
	$(BIN)/python manage.py recalculate_clv
	$(BIN)/python manage.py seed_demo_surveys
	$(BIN)/python manage.py backtest_clv
	SITE_URL=http://127.0.0.1:$(PORT) $(BIN)/python manage.py demo_login
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(VENV)/.dev-installed  ## the whole test suite (uses DATABASE_URL / CELERY_BROKER_URL when set)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.dev-installed  ## ruff, and mypy's type checks (settings in pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench-import: $(VENV)/.dev-installed  ## docs/benchmarks.md: 10M order rows into PostgreSQL
	$(BIN)/python -m benchmarks.import_orders

bench-clv: $(VENV)/.dev-installed  ## docs/benchmarks.md: CLV recalculation, 1M customers, 10M orders
	$(BIN)/python -m benchmarks.clv_recalculation

bench-segments: $(VENV)/.dev-installed  ## docs/benchmarks.md: segment reassignment, 1M customers
	$(BIN)/python -m benchmarks.segments_reassign

bench-loyalty: $(VENV)/.dev-installed  ## docs/benchmarks.md: loyalty tier evaluation, 1M customers
	$(BIN)/python -m benchmarks.loyalty_tiers

bench-api: $(VENV)/.dev-installed  ## docs/benchmarks.md: orders through the API against the CSV import
	$(BIN)/python -m benchmarks.api_ingestion

bench-campaigns: $(VENV)/.dev-installed  ## docs/benchmarks.md: campaign trigger step and sending, 100k entrants
	$(BIN)/python -m benchmarks.campaign_send

bench-results: $(VENV)/.dev-installed  ## docs/benchmarks.md: a 100k-assigned campaign's results, 1M customers
	$(BIN)/python -m benchmarks.campaign_results

bench-nps: $(VENV)/.dev-installed  ## docs/benchmarks.md: survey answers under gunicorn with PostgreSQL
	$(BIN)/python -m benchmarks.nps_answers

bench-pages: $(VENV)/.dev-installed  ## docs/benchmarks.md: dashboard, customer list and customer page, 1M customers
	$(BIN)/python -m benchmarks.staff_pages

bench: bench-import bench-clv bench-segments bench-loyalty bench-api bench-campaigns bench-results bench-nps bench-pages

worker: $(VENV)/.main-installed
	$(BIN)/celery -A clvcrm worker --queues=celery,email --loglevel=INFO

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.main-installed: requirements/main.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements/main.txt
	touch $@

$(VENV)/.dev-installed: requirements/dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.main-installed

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm media staticfiles
