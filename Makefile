# The two commands a new user needs: `make run` (the whole pipeline once, on the embedded default) and
# `make test` (every test). Both install what they need: uv (with pip, if missing) and the locked environment.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
STATE := .medallion
MANIFEST := target/manifest.json
DBT_SOURCES := dbt_project.yml profiles.yml $(shell find dbt_project seeds macros tests/dbt_project -type f 2>/dev/null)
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export DO_NOT_TRACK := 1

.PHONY: help install manifest run test sandbox bench bench-silver bench-sandbox clean crash-trials replay lint lint-fix docs

help:
	@echo "make run      - run the pipeline once end to end on the embedded default (DuckDB + sandbox org); TARGET=postgres|snowflake"
	@echo "make test     - run every test"
	@echo "make sandbox  - serve the simulated Salesforce org and Hightouch API in the foreground (SCALE=1.0)"
	@echo "make manifest - build the dbt manifest Cosmos renders the DAG from"
	@echo "make bench    - benchmark extraction against the sandbox (about 10-15 min; sizes: scripts/bench/__init__.py)"
	@echo "make bench-sandbox - the sandbox serving 10M narrow and 1M wide rows under 512 MB (tests/sandbox/test_scale.py at full size)"
	@echo "make bench-silver - incremental build of one generated silver model at 1M and 10M bronze rows (BENCH_SILVER_SIZES)"
	@echo "make crash-trials - kill extraction at random points, re-run, check bronze against the org (TRIALS=300 SEED=1 [SOURCE=erp] [STORE=1] [WAREHOUSE=postgres|snowflake] [ORGS=2])"
	@echo "make replay AS_OF=<batch id|timestamp> - rebuild the warehouse's bronze from the bronze store as of then,"
	@echo "               in place (TARGET=postgres|snowflake as for make run; the old bronze, state and audit kept:"
	@echo "               a file beside the DuckDB one, schema replay_backup_<time> on PostgreSQL/Snowflake)"
	@echo "               (without AS_OF: list the archived batches; INTO=<file.duckdb> builds a DuckDB copy instead)"
	@echo "make lint     - SQL lint of the dbt models and singular tests (sqlfluff, .sqlfluff); make lint-fix rewrites what it can"
	@echo "make docs     - build the dbt docs site (lineage, models, columns) and serve it on http://localhost:$(DOCS_PORT) (DOCS_PORT=8080)"
	@echo "make clean    - remove local state (.medallion/) and dbt's target/"

install: .venv/.installed

.venv/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --python 3.11 --compile-bytecode
	@touch $@

manifest: $(MANIFEST)

# The generated silver of every extracted object (dags/medallion/silver_objects.py) is written first from the local
# warehouse's field metadata, when it has any, so the manifest (and the docs) include those models.
$(MANIFEST): .venv/.installed $(DBT_SOURCES)
	$(UV) run --frozen python dags/medallion/silver_objects.py
	$(UV) run --frozen dbt parse --quiet

# TARGET=postgres lands and builds in PostgreSQL (MEDALLION_PG_HOST/PORT/USER/DATABASE, password from
# MEDALLION_PG_PASSWORD; the database is created when missing); TARGET=snowflake in Snowflake (MEDALLION_SF_*;
# without MEDALLION_SF_HOST, fakesnow stands in, started and stopped by the run); default: the embedded DuckDB.
# ORGS=2 serves the sandbox's second org and extracts both (MEDALLION_LOCAL_ORGS).
run: install manifest
	$(if $(TARGET),MEDALLION_TARGET=$(TARGET)) $(if $(ORGS),MEDALLION_LOCAL_ORGS=$(ORGS)) $(UV) run --frozen python scripts/run_local.py

# Three workers, a test file each at a time (module fixtures such as an end-to-end run stay on one worker), the
# longest files first (tests/conftest.py SLOW_FIRST; xdist's own order put the end-to-end runs last): the suite waits
# on sandboxes, Airflow and dbt subprocesses as much as it computes (two workers on 2 cores left a sixth of the CPU
# idle). PYTEST_WORKERS=0 runs it serially.
PYTEST_WORKERS ?= 3
test: install manifest
	$(UV) run --frozen pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder)

sandbox: install manifest
	@$(UV) run --frozen python -m sandbox --state-dir $(STATE)/sandbox --manifest $(MANIFEST) \
		--warehouse $(STATE)/warehouse.duckdb $(if $(SCALE),--scale $(SCALE))

# Bronze as of a past batch, from the archive every landed batch is written to (.medallion/bronze_store by default;
# MEDALLION_BRONZE_STORE). The warehouse as it was is kept (DuckDB: a file beside it; PostgreSQL, Snowflake: schema
# replay_backup_<time>); rebuild silver/gold with make run or dbt. TARGET=postgres|snowflake as for make run.
replay: install
	$(if $(TARGET),MEDALLION_TARGET=$(TARGET)) $(UV) run --frozen python scripts/replay.py $(if $(AS_OF),--as-of "$(AS_OF)") $(if $(INTO),--into "$(INTO)")

bench: install manifest
	$(UV) run --frozen python -m scripts.bench

# The incremental build of one generated silver model at 1M and 10M bronze rows with the same 10k changes
# (BENCH_SILVER_SIZES=1000000,3000000 for a smaller pair): scripts/bench/silver.py
bench-silver: install
	$(UV) run --frozen python -m scripts.bench.silver

# The sandbox's scale test at the sizes of docs/SANDBOX_SCALE.md (make test runs it at 2M narrow / 300k wide rows)
bench-sandbox: install
	SANDBOX_SCALE_ROWS=10000000 SANDBOX_SCALE_WIDE_BULK_ROWS=1000000 SANDBOX_SCALE_WIDE_REST_ROWS=200000 \
		$(UV) run --frozen pytest tests/sandbox/test_scale.py -s -p no:cacheprovider

clean:
	rm -rf $(STATE) target logs

# Crash safety: SIGKILL the extractor at named steps and at random moments, re-run, check every invariant
# (tests/extract/crash_harness.py; docs/ARCHITECTURE.md "Crash safety"). Exits non-zero on any violation.
# WAREHOUSE=postgres lands into a PostgreSQL database of its own (created and dropped by the run); WAREHOUSE=snowflake
# into a Snowflake database on a fakesnow server the run starts and stops (its databases under the state dir).
# ORGS=2 (Salesforce; postgres or snowflake) runs the sandbox's two orgs' cycles at once and kills one of them.
# SOURCE=erp kills the ERP extraction (tables, file drops, REST API) instead; STORE=1 (ERP) also checks a bronze store.
TRIALS ?= 300
SEED ?= 1
crash-trials: install
	$(UV) run --frozen python scripts/crash_trials.py --trials $(TRIALS) --seed $(SEED) --state-dir $(STATE)/crash-trials \
		$(if $(WAREHOUSE),--warehouse $(WAREHOUSE)) $(if $(SOURCE),--source $(SOURCE)) $(if $(STORE),--bronze-store) \
		$(if $(ORGS),--orgs $(ORGS))

# SQL lint: sqlfluff with the jinja templater and dbt's builtins (.sqlfluff says which rules and why). make test
# runs the same check (tests/dbt_project/test_sql_lint.py); lint-fix rewrites what sqlfluff can fix.
SQL_LINTED := dbt_project tests/dbt_project
lint: install
	$(UV) run --frozen sqlfluff lint $(SQL_LINTED)

lint-fix: install
	$(UV) run --frozen sqlfluff fix $(SQL_LINTED)

# The dbt docs site (models, columns, tests, lineage from every gold model back to its bronze sources), served on
# http://localhost:$(DOCS_PORT). With the embedded warehouse of a `make run` (DOCS_WAREHOUSE) the catalog lists
# every built relation's columns and types; without one the site is built from the project alone (empty catalog).
# DOCS_TARGET is where the site is written (dbt's target/ by default).
DOCS_PORT ?= 8080
DOCS_HOST ?= 127.0.0.1
DOCS_TARGET ?= target
DOCS_WAREHOUSE ?= $(STATE)/warehouse.duckdb
docs: install
	@mkdir -p $(DOCS_TARGET)
	@if [ -f "$(DOCS_WAREHOUSE)" ]; then \
		echo "docs: catalog from $(DOCS_WAREHOUSE)"; \
		MEDALLION_DUCKDB_PATH="$(DOCS_WAREHOUSE)" $(UV) run --frozen dbt docs generate --quiet --target local \
			--target-path $(DOCS_TARGET); \
	else \
		echo "docs: no warehouse at $(DOCS_WAREHOUSE) (make run builds one): the site without a catalog"; \
		rm -f $(DOCS_TARGET)/docs_no_warehouse.duckdb; \
		MEDALLION_DUCKDB_PATH=$(DOCS_TARGET)/docs_no_warehouse.duckdb $(UV) run --frozen dbt docs generate --quiet \
			--target local --empty-catalog --target-path $(DOCS_TARGET); \
	fi
	@echo "docs: serving http://localhost:$(DOCS_PORT) (Ctrl-C stops it)"
	$(UV) run --frozen dbt docs serve --no-browser --host $(DOCS_HOST) --port $(DOCS_PORT) --target-path $(DOCS_TARGET)
