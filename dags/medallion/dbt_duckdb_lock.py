"""Release the DuckDB file that dbt-duckdb keeps open after an in-process (dbtRunner) invocation.

After `dbtRunner().invoke(...)` dbt-duckdb's environment keeps its connection, and so DuckDB's file lock, until the
process exits, although no handle uses it any more. Airflow normally runs each task in its own process, but
`airflow dags test` runs them all in one: without this, the next process that opens the warehouse (the Hightouch
sync reading its model) finds it locked. Called as a task callback; a no-op where dbt-duckdb is not loaded.
"""

from __future__ import annotations

import sys


def release_dbt_duckdb_lock(context=None) -> None:
    connections = sys.modules.get("dbt.adapters.duckdb.connections")
    if connections is None:
        return
    manager = connections.DuckDBConnectionManager
    with manager._LOCK:
        environment = manager._ENV
        if environment is not None and getattr(environment, "handle_count", 0) == 0:
            environment.close()
