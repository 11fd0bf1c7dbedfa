"""`make replay AS_OF=<batch id or timestamp>`: rebuild the configured warehouse's bronze from the bronze store.

The store and the warehouse are the ones the DAG uses (dags/medallion/config.py: MEDALLION_BRONZE_STORE,
MEDALLION_DUCKDB_PATH), the store opened the way its tasks open it. Without AS_OF it lists the sealed batches.
Stop Airflow (or let no run be active) first: the warehouse file is replaced. See extract/replay.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "dags")]

from medallion.config import load  # noqa: E402
from medallion.extract_tasks import open_bronze_store  # noqa: E402

from extract.replay import run  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="make replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", default="", help="a batch id or a timestamp (UTC unless it has an offset)")
    parser.add_argument("--into", type=Path, help="build this new DuckDB file instead of replacing the warehouse")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = load()
    if settings.target != "local":
        print(f"replay rebuilds the DuckDB warehouse; MEDALLION_TARGET={settings.target} is not replayed by this "
              f"command yet (use --into to build a DuckDB copy)", file=sys.stderr)
        if args.into is None:
            return 2
    os.environ.setdefault("AIRFLOW_HOME", str(settings.state_dir / "airflow"))  # make run's, not ~/airflow
    store = open_bronze_store(settings.bronze_store_args(), {"work_dir": str(settings.state_dir / "tmp")})
    if store is None:
        print("the bronze store is off (MEDALLION_BRONZE_STORE=off): nothing to replay from", file=sys.stderr)
        return 2
    return run(store, settings.duckdb_path, args.as_of or None, args.into, list_only=not args.as_of)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
