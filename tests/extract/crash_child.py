"""One extraction cycle in a process of its own, for the crash-safety harness (``tests/extract/crash_harness.py``).

    python -m tests.extract.crash_child SPEC.json

The spec names the sandbox (its printed KEY=value lines), the warehouse (``target``), the objects (route, reconcile,
formula refresh), optionally the org (``source`` and the ``prefix`` of its printed login, e.g. ``SALESFORCE_2_``;
by default the first org as source ``salesforce``) and, optionally, a kill: ``{"step": "page_landed", "nth": 3}`` makes the observer SIGKILL this
very process at the third ``page_landed`` (counted over every object and thread). The parent may also SIGKILL it
from outside at any moment after the ``STARTED`` line on stdout.

Everything the parent needs afterwards goes to the trace file, one line per event, flushed as it happens (a SIGKILL
loses nothing the kernel already has): ``open_jobs [...]`` (Bulk jobs an earlier attempt left open), every
observer ``step <name> <n> <seconds>``, ``kill <step> <n>`` just before the kill, then ``result <json>`` per object
and ``done <json>``. Exit status: 0 when every object succeeded, 3 when one failed (the trace says why).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from extract.bronze_store import BronzeStore
from extract.object_extraction import ObjectWork, extract_object, extract_objects
from extract.options import ExtractOptions
from extract.orgs import confirm_org
from extract.plan import plan_cycle
from extract.salesforce.client import RetryPolicy, SalesforceClient
from extract.salesforce.credentials import SalesforceCredentials
from extract.warehouse import WarehouseTarget, open_bronze_writer

# No faults are injected: retries only smooth over a busy 2-core machine, and never sleep long.
RETRY = RetryPolicy(attempts=4, wait_initial_s=0.01, wait_max_s=0.2, connect_timeout_s=10, read_timeout_s=60)


def credentials(values: dict, prefix: str = "SALESFORCE_") -> SalesforceCredentials:
    """The org's login from the sandbox's printed values (``SALESFORCE_2_``: its second org)."""
    host = values[prefix + "URL"].removeprefix("https://")
    return SalesforceCredentials(username=values[prefix + "USERNAME"], password=values[prefix + "PASSWORD"],
                                 security_token=values[prefix + "TOKEN"], domain=f"{host}/services/Soap/u/59.0#",
                                 ca_bundle=values["CA_BUNDLE"])


class KillingObserver:
    """The library's ``observer``: traces every step and SIGKILLs this process at the chosen occurrence."""

    def __init__(self, trace, kill: dict | None):
        self.trace, self.kill = trace, kill
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def __call__(self, step: str) -> None:
        with self.lock:
            self.counts[step] += 1
            n = self.counts[step]
            self.trace.write(f"step {step} {n} {time.monotonic() - self.started:.3f}\n")
            if self.kill and step == self.kill["step"] and n == self.kill["nth"]:
                self.trace.write(f"kill {step} {n}\n")
                self.trace.flush()
                os.kill(os.getpid(), signal.SIGKILL)


def options_for(spec: dict, route: str, **more) -> ExtractOptions:
    store = spec.get("bronze_store")  # optional: batches archived there too (tests/extract/test_bronze_store.py)
    return ExtractOptions(
        retry=RETRY, work_dir=Path(spec["work_dir"]), lookback=timedelta(seconds=spec["lookback_s"]),
        rest_max_rows=0 if route == "bulk" else 1_000_000, bulk_page_rows=spec["bulk_page_rows"],
        bulk_poll_max_s=0.2, bronze_store=BronzeStore.from_url(store) if store else None,
        source=spec.get("source", "salesforce"), **more)


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[1]).read_text())
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(threadName)s %(name)s %(levelname)s %(message)s")
    trace = open(spec["trace"], "a", buffering=1, encoding="utf-8")  # line-buffered: every line reaches the OS
    sys.stdout.write("STARTED\n")
    sys.stdout.flush()
    observer = KillingObserver(trace, spec.get("kill"))
    client = SalesforceClient(credentials(spec["sandbox"], spec.get("prefix", "SALESFORCE_")), RETRY)
    source = spec.get("source", "salesforce")
    failed = False
    with open_bronze_writer(WarehouseTarget(**spec["target"])) as writer:
        trace.write("open_jobs " + json.dumps([row[0] for row in writer.query(
            "select job_id from state.salesforce_open_jobs where source = ? order by job_id", [source])]) + "\n")
        if "source" in spec:  # one org of several: checked as the DAG checks it before a cycle
            confirm_org(client, writer, source)
        routes = {o["name"]: o["route"] for o in spec["objects"]}
        if spec.get("plan"):
            plan = plan_cycle(client, writer, options_for(
                spec, "rest", include=tuple(routes),
                reconcile_every=timedelta(0) if spec.get("plan_reconcile") else None,
                formula_refresh_every=timedelta(0) if spec.get("plan_refresh") else None))
            works = plan.work
            trace.write("plan " + json.dumps({"work": [w.as_dict() for w in works], "unchanged": plan.unchanged,
                                              "skipped": plan.skipped}) + "\n")
        else:
            works = [ObjectWork(o["name"], reconcile=o["reconcile"], refresh_formulas=o["refresh"])
                     for o in spec["objects"]]
        results = []
        bulk = [w for w in works if routes.get(w.object_name) == "bulk"]
        rest = [w for w in works if routes.get(w.object_name) != "bulk"]
        groups = [("bulk", bulk), ("rest", rest)]
        if spec.get("rest_first"):
            groups.reverse()
        for route, group in groups:
            if not group:
                continue
            if route == "bulk":
                for work in group:
                    try:
                        results.append((work, extract_object(client, writer, work, options_for(spec, "bulk"),
                                                             observer=observer)))
                    except Exception as error:
                        results.append((work, error))
            else:
                results += extract_objects(client, writer, group, options_for(spec, "rest"),
                                           concurrency=spec.get("concurrency", 2), observer=observer)
        for work, outcome in results:
            if isinstance(outcome, BaseException):
                failed = True
                trace.write("result " + json.dumps({"object": work.object_name, "error": (
                    f"{type(outcome).__name__}: {outcome}")[:2000]}) + "\n")
            else:
                summary = outcome.summary()
                trace.write("result " + json.dumps({key: summary[key] for key in (
                    "object", "status", "kinds", "routes", "rows", "pages", "bulk_jobs", "tombstones",
                    "cursor_from", "cursor_to", "notes", "batch_ids")}, default=str) + "\n")
    trace.write("done " + json.dumps(dict(observer.counts)) + "\n")
    trace.close()
    return 3 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
