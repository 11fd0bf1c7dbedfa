"""Every setting the DAGs use, in one place. Environment only: no Variable or Connection reads at parse time."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = Path(os.environ.get("MEDALLION_STATE_DIR", PROJECT_ROOT / ".medallion"))
MANIFEST_PATH = Path(os.environ.get("MEDALLION_MANIFEST_PATH", PROJECT_ROOT / "target" / "manifest.json"))
PROFILES_PATH = PROJECT_ROOT / "profiles.yml"
DBT_PROFILE = "medallion"
DBT_TARGET = os.environ.get("MEDALLION_TARGET", "local")
DUCKDB_PATH = Path(os.environ.get("MEDALLION_DUCKDB_PATH", STATE_DIR / "warehouse.duckdb"))

SALESFORCE_CONN_ID = os.environ.get("MEDALLION_SALESFORCE_CONN_ID", "salesforce_default")
HIGHTOUCH_CONN_ID = os.environ.get("MEDALLION_HIGHTOUCH_CONN_ID", "hightouch_default")
# "hightouch" (HightouchTriggerSyncOperator per sync exposure) or "off" (no reverse sync in the DAG).
REVERSE_SYNC = os.environ.get("MEDALLION_REVERSE_SYNC", "hightouch")
BULK_PAGE_SIZE = int(os.environ.get("MEDALLION_BULK_PAGE_SIZE", "50000"))

# DuckDB allows one writer: on the local target every task that writes takes the one slot of this pool.
DUCKDB_WRITER_POOL = "duckdb_writer"
WRITER_POOL = DUCKDB_WRITER_POOL if DBT_TARGET == "local" else "default_pool"

EXTRACT_RETRY_POLICY = {
    "retries": int(os.environ.get("MEDALLION_EXTRACT_RETRIES", "3")),
    "retry_delay": timedelta(seconds=int(os.environ.get("MEDALLION_EXTRACT_RETRY_DELAY_S", "15"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=10),
}

# What dbt needs to find the warehouse when Cosmos runs it from a temporary copy of the project.
DBT_ENV = {
    "MEDALLION_TARGET": DBT_TARGET,
    "MEDALLION_DUCKDB_PATH": str(DUCKDB_PATH),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
}
