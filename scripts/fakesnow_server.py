"""`fakesnow -s` with its databases in a directory: the Snowflake the tests and `make run TARGET=snowflake` use.

fakesnow's server (Snowflake's wire protocol over HTTP on loopback) keeps every database in memory; its CLI's
`-d` is not passed to `-s` (fakesnow 0.12.1). This starts the same server with its shared instance on
`--db-dir` (a DuckDB file per Snowflake database) and its internal stages under `--db-dir/stages`, so a second
`make run` finds the first one's warehouse, and nothing is left in /tmp. It prints ``FAKESNOW_PORT=<port>`` and
``FAKESNOW_READY``, then serves until SIGTERM/SIGINT.

Two corrections to fakesnow 0.12.1, where it answers differently from Snowflake (DECISIONLOG.md, "fakesnow"):
- its COPY INTO reads CSV with DuckDB's type sniffing, so a text field such as ``00123`` or
  ``2024-01-31T12:34:56.000Z`` would reach a VARCHAR column as ``123`` or ``2024-01-31 12:34:56+00``; Snowflake never
  guesses: every CSV field is text, converted to the target column's type. ``all_varchar`` gives that behaviour.
- its Arrow results send a NULL timestamp as a valid struct of null parts, which the Snowflake client reads as
  1970-01-01; the struct is marked null, as Snowflake sends it.

One addition, for the crash harness: ``POST /medallion/abort-open-transactions`` rolls back every session's open
transaction and answers how many there were. A client killed inside a transaction leaves it open on the server
(fakesnow never expires a session), and its uncommitted writes then make every later write to the same rows fail
("Conflict on tuple deletion"). Snowflake leaves such a transaction *detached* too, holding its locks, until
SYSTEM$ABORT_TRANSACTION or its own rollback after four idle hours (DECISIONLOG.md, "A killed Snowflake writer");
the harness calls this, after a kill and before the re-run, to stand for that abort.
"""

from __future__ import annotations

import argparse
import faulthandler
import logging
import os
import signal
import sys
import threading
from pathlib import Path


def _csv_as_text() -> None:
    from fakesnow import copy_into

    original = copy_into.ReadCSV.read_expression

    def read_expression(self, url: str):
        expression = original(self, url)
        expression.append("expressions", self.make_eq("all_varchar", True))
        return expression

    copy_into.ReadCSV.read_expression = read_expression


def _null_timestamps_as_null() -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    from fakesnow import arrow

    original = arrow.timestamp_to_sf_struct

    def timestamp_to_sf_struct(ts):
        struct = original(ts)
        if isinstance(ts, pa.ChunkedArray):
            ts = ts.combine_chunks()
        if ts.null_count == 0:
            return struct
        children = [pc.fill_null(struct.field(i), 0) for i in range(struct.type.num_fields)]
        return pa.StructArray.from_arrays(children, fields=list(struct.type), mask=ts.is_null())

    arrow.timestamp_to_sf_struct = timestamp_to_sf_struct


def _abort_route(server_module) -> None:
    """``POST /medallion/abort-open-transactions``: roll back every session's open transaction (see above)."""
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def abort_open_transactions(request):
        aborted = 0
        for conn in list(server_module.sessions.values()):
            try:
                conn._duck_conn.rollback()  # "no transaction is active" when there is none
            except Exception:  # noqa: BLE001
                continue
            conn._in_transaction = False
            aborted += 1
        return JSONResponse({"aborted": aborted})

    server_module.app.router.routes.append(Route("/medallion/abort-open-transactions", abort_open_transactions,
                                                 methods=["POST"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-dir", required=True, type=Path, help="where the databases and stages are kept")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)

    import importlib

    import fakesnow

    serve = fakesnow.server  # the function: importing the submodule below rebinds the package's attribute
    server_module = importlib.import_module("fakesnow.server")
    from fakesnow.instance import FakeSnow
    from fakesnow.transforms import stage

    db_dir = args.db_dir.resolve()
    (db_dir / "stages").mkdir(parents=True, exist_ok=True)
    stage.LOCAL_BUCKET_PATH = str(db_dir / "stages")
    server_module.shared_fs = FakeSnow(db_path=db_dir)
    _csv_as_text()
    _null_timestamps_as_null()

    _abort_route(server_module)

    logging.getLogger("uvicorn.access").disabled = True  # a line per query; errors are still logged
    faulthandler.register(signal.SIGUSR1)  # `kill -USR1 <pid>`: every thread's stack in the log (a stuck query)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with serve(port=args.port or None, host=args.host) as connection:
        print(f"FAKESNOW_PORT={connection['port']}", flush=True)
        print("FAKESNOW_READY", flush=True)
        # From here on stdout is the log too: a parent that stops reading the pipe must never block the server.
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        stop.wait()
    server_module.shared_fs.duck_conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
