"""Sync runs: created by a trigger, executed in a background thread, polled by the provider."""

from __future__ import annotations

import itertools
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sandbox.hightouch.faults import HightouchFaults
from sandbox.hightouch.model_reader import export_model_to_csv
from sandbox.hightouch.salesforce_destination import SalesforceCredentials, apply_sync
from sandbox.hightouch.syncs import SyncDefinition

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _counts(added: int = 0, changed: int = 0, removed: int = 0) -> dict:
    return {"addedCount": added, "changedCount": changed, "removedCount": removed}


@dataclass
class SyncRun:
    id: str
    sync: SyncDefinition
    created_at: datetime = field(default_factory=_now)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    status: str = "queued"
    error: str | None = None
    query_size: int = 0
    planned: dict = field(default_factory=_counts)
    successful: dict = field(default_factory=_counts)
    failed: dict = field(default_factory=_counts)

    def as_api(self) -> dict:
        done = self.status in ("success", "warning", "failed")
        return {
            "id": self.id, "syncId": self.sync.id, "status": self.status, "error": self.error,
            "createdAt": _iso(self.created_at), "startedAt": _iso(self.started_at),
            "finishedAt": _iso(self.finished_at), "querySize": self.query_size,
            "completionRatio": 1.0 if done else (0.5 if self.status == "processing" else 0.0),
            "plannedRows": self.planned, "successfulRows": self.successful, "failedRows": self.failed,
        }


class SyncRunner:
    """Holds the syncs and their runs; executes one run at a time per sync, like Hightouch."""

    def __init__(self, syncs: list[SyncDefinition], warehouse: Path | str,
                 salesforce: Callable[[], SalesforceCredentials], log_path: Path | None = None):
        self.syncs = {s.id: s for s in syncs}
        self.warehouse = warehouse
        self.salesforce = salesforce
        self.log_path = log_path
        self.faults = HightouchFaults()
        self.runs: dict[str, SyncRun] = {}
        self._ids = itertools.count(self._runs_already_logged() + 1)  # run ids stay unique across restarts
        self._lock = threading.Lock()
        self._sync_locks = {s.id: threading.Lock() for s in syncs}

    def find(self, sync_id: str | None = None, slug: str | None = None) -> SyncDefinition | None:
        if sync_id is not None:
            return self.syncs.get(str(sync_id))
        return next((s for s in self.syncs.values() if s.slug == slug), None)

    def trigger(self, sync: SyncDefinition) -> SyncRun:
        with self._lock:
            run = SyncRun(id=str(next(self._ids)), sync=sync)
            self.runs[run.id] = run
        threading.Thread(target=self._execute, args=(run,), name=f"hightouch-run-{run.id}", daemon=True).start()
        return run

    def runs_of(self, sync_id: str) -> list[SyncRun]:
        return sorted((r for r in self.runs.values() if r.sync.id == sync_id), key=lambda r: int(r.id), reverse=True)

    def _execute(self, run: SyncRun) -> None:
        with self._sync_locks[run.sync.id]:
            run.started_at = _now()
            run.status = "querying"
            try:
                injected = self.faults.take_run_failure()
                if injected:
                    raise RuntimeError(injected)
                with tempfile.TemporaryDirectory(prefix="hightouch-") as tmp:
                    model_csv = Path(tmp) / "model.csv"
                    export_model_to_csv(self.warehouse, run.sync.model_schema, run.sync.model_table, model_csv)
                    run.status = "processing"
                    time.sleep(self.faults.run_delay_seconds)
                    planned, result = apply_sync(self.salesforce(), run.sync, model_csv, Path(tmp))
                run.query_size = planned
                if run.sync.mode == "insert":
                    run.planned = _counts(added=planned)
                else:
                    run.planned = _counts(changed=planned)
                run.successful = _counts(added=result.added, changed=result.changed)
                run.failed = _counts(changed=result.failed)
                if result.failed and (result.added or result.changed):
                    run.status, run.error = "warning", "; ".join(result.errors)
                elif result.failed:
                    run.status, run.error = "failed", "; ".join(result.errors)
                else:
                    run.status = "success"
            except Exception as exc:  # the run fails, the API keeps serving
                log.exception("sync run %s failed", run.id)
                run.status, run.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                run.finished_at = _now()
                self._record(run)

    def _runs_already_logged(self) -> int:
        if self.log_path is None or not self.log_path.exists():
            return 0
        with self.log_path.open() as log_file:
            return max((int(json.loads(line)["id"]) for line in log_file if line.strip()), default=0)

    def _record(self, run: SyncRun) -> None:
        """Append the finished run to the JSONL run log, which outlives the process."""
        if self.log_path is None:
            return
        with self._lock, self.log_path.open("a") as log_file:
            log_file.write(json.dumps({"slug": run.sync.slug, **run.as_api()}) + "\n")
