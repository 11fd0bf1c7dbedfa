"""How ERP extraction behaves, as one explicit value (the Airflow glue builds it from dags/medallion/config.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extract.bronze_store import BronzeStore

DATABASE_SOURCE = "erp"  # bronze.erp__<table>
FILES_SOURCE = "erp_files"  # bronze.erp_files__<kind>, bronze.erp_files__quarantine
API_SOURCE = "erp_api"  # bronze.erp_api__<resource>


@dataclass(frozen=True)
class ErpOptions:
    # Incremental reads start this far before the cursor (late commits, same-second ties); rows already landed
    # (same key and cursor value) are recognised and left out.
    lookback: timedelta = timedelta(minutes=5)
    page_rows: int = 50_000  # database rows per landed page (each page a CSV file on disk, never a whole table)
    api_page_size: int = 500  # REST: usage events per request (limit, at most 1000); payments per page (<= 500)
    api_attempts: int = 6  # REST: attempts per request on 429, 5xx and dropped connections
    api_wait_initial_s: float = 0.5
    api_wait_max_s: float = 60.0  # also the longest Retry-After honoured as is
    api_connect_timeout_s: float = 10.0
    api_read_timeout_s: float = 60.0
    work_dir: Path | None = None  # where pages wait for landing (default: the system temp dir)
    # Every committed batch is also archived here (extract/bronze_store.py), for replay; None: not archived.
    bronze_store: BronzeStore | None = None
