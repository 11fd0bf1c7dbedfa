"""One ERP extraction cycle in a process of its own, for the ERP crash-safety harness
(``tests/extract/erp_crash_harness.py``).

    python -m tests.extract.erp_crash_child SPEC.json

The spec names the ERP (``erp``: its DSN, drop folder, REST API URL and token, as the sandbox prints them), the
warehouse (``target``), the parts to extract in order (``parts``: ``["tables", [names]]``, ``["drops"]``,
``["resources", [names]]``), page sizes, the lookback, an optional bronze store and, optionally, a kill:
``{"step": "page_landed", "nth": 3}`` makes the observer SIGKILL this very process at the third ``page_landed``.
The parent may also SIGKILL it from outside at any moment after the ``STARTED`` line on stdout.

The trace file gets the same lines as the Salesforce child's (``tests/extract/crash_child.py``): every observer
``step <name> <n> <seconds>``, ``kill <step> <n>`` just before the kill, ``result <json>`` per table, file and
resource, then ``done <json>``. Exit status: 0 when every part succeeded, 3 when one failed (the trace says why).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import timedelta
from pathlib import Path

from extract.bronze_store import BronzeStore
from extract.erp.api_client import ErpApiClient, ErpApiConfig
from extract.erp.api_extraction import extract_resources
from extract.erp.database import open_reader
from extract.erp.db_extraction import extract_tables
from extract.erp.file_extraction import extract_drops
from extract.erp.options import ErpOptions
from extract.warehouse import WarehouseTarget, open_bronze_writer
from tests.extract.crash_child import KillingObserver


def erp_options(spec: dict) -> ErpOptions:
    store = spec.get("bronze_store")
    return ErpOptions(lookback=timedelta(seconds=spec["lookback_s"]), page_rows=spec["page_rows"],
                      api_page_size=spec["api_page_size"], api_attempts=4, api_wait_initial_s=0.01,
                      api_wait_max_s=0.5, work_dir=Path(spec["work_dir"]),
                      bronze_store=BronzeStore.from_url(store) if store else None)


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    trace = open(spec["trace"], "a", buffering=1, encoding="utf-8")  # line-buffered: every line reaches the OS
    sys.stdout.write("STARTED\n")
    sys.stdout.flush()
    observer = KillingObserver(trace, spec.get("kill"))
    options = erp_options(spec)
    erp = spec["erp"]
    failed = False
    with open_bronze_writer(WarehouseTarget(**spec["target"])) as writer:
        if options.bronze_store is not None:  # as the DAG's first task does: seal what a crash left committed
            trace.write("store_complete " + json.dumps(options.bronze_store.complete(writer.batch_statuses)) + "\n")
        trace.write("opened\n")
        for part in spec["parts"]:
            if part[0] == "tables":
                results = extract_tables(open_reader(erp["dsn"]), writer, part[1], options, observer=observer)
            elif part[0] == "drops":
                results = extract_drops(writer, Path(erp["drop_dir"]), Path(spec["archive_dir"]), options,
                                        observer=observer)
            else:
                with ErpApiClient(ErpApiConfig(erp["api_url"], erp["api_token"]), options) as client:
                    results = extract_resources(client, writer, part[1], options, observer=observer)
            for name, outcome in results:
                if isinstance(outcome, BaseException):
                    failed = True
                    trace.write("result " + json.dumps({"part": part[0], "name": name, "error": (
                        f"{type(outcome).__name__}: {outcome}")[:2000]}) + "\n")
                else:
                    trace.write("result " + json.dumps({"part": part[0], "name": name, "status": outcome["status"],
                                                        "rows": outcome["rows"],
                                                        "batch_ids": outcome["batch_ids"]}, default=str) + "\n")
    trace.write("done " + json.dumps(dict(observer.counts)) + "\n")
    trace.close()
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
