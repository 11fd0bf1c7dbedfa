"""`make replay AS_OF=<batch id or timestamp>`: rebuild the configured warehouse's bronze from the bronze store.

The store and the warehouse are the ones the DAG uses (dags/medallion/config.py: MEDALLION_BRONZE_STORE,
MEDALLION_TARGET and its MEDALLION_DUCKDB_PATH / MEDALLION_PG_* / MEDALLION_SF_* settings), the store opened the way
its tasks open it. Without AS_OF it lists the sealed batches. With MEDALLION_TARGET=snowflake and no
MEDALLION_SF_HOST, the fakesnow server `make run TARGET=snowflake` uses is started on its databases
(.medallion/fakesnow/) and stopped after. Stop Airflow (or let no run be active) first: the warehouse's bronze is
replaced (the old one kept: a file beside it on DuckDB, schema replay_backup_<time> on PostgreSQL and Snowflake).
See extract/replay.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "dags")]

from medallion.config import load, warehouse_target  # noqa: E402
from medallion.extract_tasks import open_bronze_store  # noqa: E402

from extract.replay import run  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", default="", help="a batch id or a timestamp (UTC unless it has an offset)")
    parser.add_argument("--into", type=Path, help="build this new DuckDB file instead of replacing the warehouse")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    state = Path(os.environ.get("MEDALLION_STATE_DIR", ROOT / ".medallion")).resolve()
    fakesnow = None
    if os.environ.get("MEDALLION_TARGET") == "snowflake" and "MEDALLION_SF_HOST" not in os.environ and args.as_of:
        from scripts.local_env import start_fakesnow

        # no Snowflake account configured: the fakesnow make run TARGET=snowflake lands into, on its databases
        fakesnow = start_fakesnow(ROOT, state / "fakesnow", state / "logs" / "fakesnow-replay.log")
        os.environ.update(fakesnow.profile_env())
    try:
        settings = load()
        os.environ.setdefault("AIRFLOW_HOME", str(settings.state_dir / "airflow"))  # make run's, not ~/airflow
        store = open_bronze_store(settings.bronze_store_args(), {"work_dir": str(settings.state_dir / "tmp")})
        if store is None:
            print("the bronze store is off (MEDALLION_BRONZE_STORE=off): nothing to replay from", file=sys.stderr)
            return 2
        target = warehouse_target(settings.warehouse())  # the password, if any, from this environment
        return run(store, target, args.as_of or None, args.into, list_only=not args.as_of)
    finally:
        if fakesnow:
            fakesnow.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
