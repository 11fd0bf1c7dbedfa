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

.PHONY: help install manifest run test sandbox bench bench-silver clean crash-trials replay

help:
	@echo "make run      - run the pipeline once end to end on the embedded default (DuckDB + sandbox org); TARGET=postgres|snowflake"
	@echo "make test     - run every test"
	@echo "make sandbox  - serve the simulated Salesforce org and Hightouch API in the foreground (SCALE=1.0)"
	@echo "make manifest - build the dbt manifest Cosmos renders the DAG from"
	@echo "make bench    - benchmark extraction against the sandbox (about 10-15 min; sizes: scripts/bench/__init__.py)"
	@echo "make bench-silver - incremental build of one generated silver model at 1M and 10M bronze rows (BENCH_SILVER_SIZES)"
	@echo "make crash-trials - kill extraction at random points, re-run, check bronze against the org (TRIALS=300 SEED=1 [SOURCE=erp] [STORE=1] [WAREHOUSE=postgres])"
	@echo "make replay AS_OF=<batch id|timestamp> - rebuild the warehouse's bronze from the bronze store as of then"
	@echo "               (without AS_OF: list the archived batches; INTO=<file.duckdb> builds a copy instead)"
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

# Two workers, a test file each at a time (module fixtures such as an end-to-end run stay on one worker): the
# suite waits on sandboxes, Airflow and dbt subprocesses as much as it computes. PYTEST_WORKERS=0 runs it serially.
PYTEST_WORKERS ?= 2
test: install manifest
	$(UV) run --frozen pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile)

sandbox: install manifest
	@$(UV) run --frozen python -m sandbox --state-dir $(STATE)/sandbox --manifest $(MANIFEST) \
		--warehouse $(STATE)/warehouse.duckdb $(if $(SCALE),--scale $(SCALE))

# Bronze as of a past batch, from the archive every landed batch is written to (.medallion/bronze_store by default;
# MEDALLION_BRONZE_STORE). The warehouse as it was is kept beside it; rebuild silver/gold with make run or dbt.
replay: install
	$(UV) run --frozen python scripts/replay.py $(if $(AS_OF),--as-of "$(AS_OF)") $(if $(INTO),--into "$(INTO)")

bench: install manifest
	$(UV) run --frozen python -m scripts.bench

# The incremental build of one generated silver model at 1M and 10M bronze rows with the same 10k changes
# (BENCH_SILVER_SIZES=1000000,3000000 for a smaller pair): scripts/bench/silver.py
bench-silver: install
	$(UV) run --frozen python -m scripts.bench.silver

clean:
	rm -rf $(STATE) target logs

# Crash safety: SIGKILL the extractor at named steps and at random moments, re-run, check every invariant
# (tests/extract/crash_harness.py; docs/ARCHITECTURE.md "Crash safety"). Exits non-zero on any violation.
# WAREHOUSE=postgres lands into a PostgreSQL database of its own (created and dropped by the run).
# SOURCE=erp kills the ERP extraction (tables, file drops, REST API) instead; STORE=1 (ERP) also checks a bronze store.
TRIALS ?= 300
SEED ?= 1
crash-trials: install
	$(UV) run --frozen python scripts/crash_trials.py --trials $(TRIALS) --seed $(SEED) --state-dir $(STATE)/crash-trials \
		$(if $(WAREHOUSE),--warehouse $(WAREHOUSE)) $(if $(SOURCE),--source $(SOURCE)) $(if $(STORE),--bronze-store)
