"""How extraction behaves, as one explicit value. The Airflow glue builds it from its configuration module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from extract.salesforce.client import RetryPolicy

if TYPE_CHECKING:
    from extract.bronze_store import BronzeStore


@dataclass(frozen=True)
class ExtractOptions:
    source: str = "salesforce"
    # Incremental windows start this far before the cursor, so late commits and same-second ties are read again
    # (and landed once: rows already landed are recognised by Id and cursor value).
    lookback: timedelta = timedelta(minutes=5)
    # Deltas of at most this many rows go through REST query (1 API call per 2,000 rows, no Bulk job); larger
    # ones through Bulk API 2.0. Measured: see DECISIONLOG.md and `make bench`.
    rest_max_rows: int = 25_000
    # The most rows one Bulk API 2.0 results page may hold (maxRecords). Pages are sized to about 64 MB of CSV
    # within this cap (extract/salesforce/bulk2_query.py), so narrow objects come in few large pages.
    bulk_page_rows: int = 500_000
    bulk_poll_max_s: float = 2.0
    # The share of each daily Salesforce limit the platform never spends (other integrations need it too).
    reserve_share: float = 0.2
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # QUERY_TIMEOUT: halve the time window up to this many times before failing.
    query_timeout_splits: int = 3
    # Hard deletes (and records purged from the Recycle Bin) are found by an Id scan this often per object.
    reconcile_every: timedelta | None = timedelta(hours=24)
    # Formula fields change without a SystemModstamp bump: their values are read again this often.
    formula_refresh_every: timedelta | None = timedelta(hours=24)
    # An object whose probes showed no change for this long has its lookback window read again anyway: the counts
    # cannot see a late commit that re-stamps a record already inside the window. One REST call per object.
    reread_quiet_every: timedelta | None = timedelta(hours=1)
    # Which objects of the org's describe to extract (fnmatch patterns, case-insensitive).
    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    work_dir: Path | None = None  # where result pages wait for landing (default: the system temp dir)
    # Every committed batch is also archived here (extract/bronze_store.py), for replay; None: not archived.
    bronze_store: BronzeStore | None = None
