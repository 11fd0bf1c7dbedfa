"""The org: its store, clock, credentials, sessions, limits and Bulk jobs, plus the Python control API tests use.

    org = SalesforceOrg(state_dir, seed=42, scale=0.2)
    org.count("Account"); org.rows("Account", "\"Industry\" IS NULL")
    org.clock.advance(timedelta(hours=3)); org.expire_sessions()
    org.faults.add("http_503", "/services/data/*/query*", times=3); org.limits.set_max("DailyApiRequests", 50)
    org.mutate("Account", "soft_delete", count=5); org.bulk_job_latency_seconds = 10
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import ids, restart_activity
from .access import OrgAccess
from .auth import Credentials, SessionRegistry
from .bulk2_ingest import IngestJobs
from .bulk2_query import QueryJobs
from .bulk1 import Bulk1Jobs
from .clock import OrgClock
from .faults import Faults, parse_option
from .limits import OrgLimits
from .mutations import Mutations
from .query_cursors import QueryCursors
from .schema import OBJECTS, get_object
from .seed import seed_org
from .store import OrgStore, quote

JOB_WORKERS = 2


class SalesforceOrg:
    def __init__(self, state_dir: Path, *, seed: int = 42, scale: float = 1.0,
                 options: Mapping[str, str] | None = None):
        """Open (or create and seed) the org stored in ``state_dir/org.duckdb``.

        ``options``: ``jwt_public_key`` = path of a PEM public key that JWT bearer assertions must verify against;
        ``limit_<Name>=N`` = a limit's maximum (``limits.py``); ``faults=`` = fault rules (``faults.parse_option``);
        ``bulk_job_latency_seconds=S`` = the least time a Bulk job (Bulk 1.0: batch) takes to finish (default 0);
        ``restart_activity=true`` = on a reopened org, apply users' changes since the last run before serving
        (``restart_activity.py``; default false); access restrictions (``access.py``).
        """
        options = dict(options or {})
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        work_dir = self.state_dir / "work"
        shutil.rmtree(work_dir, ignore_errors=True)  # job files and query cursors do not outlive a run
        self.clock = OrgClock()
        self.store = OrgStore(self.state_dir / "org.duckdb", work_dir / "duckdb-tmp")
        reopened = self.store.setting("seed") is not None
        if not reopened:
            # options rows.<Object>=N / custom_scale=F size the generated objects (seed.object_counts; SANDBOX_SCALE.md)
            seed_org(self.store, seed, scale, options=options)
        setting = self.store.setting
        public_key_path = options.get("jwt_public_key")
        self.credentials = Credentials(
            username=setting("username"), password=setting("password"), security_token=setting("security_token"),
            client_id=setting("client_id"), client_secret=setting("client_secret"),
            user_id=ids.make_id("005", 1), org_id=setting("org_id"),
            jwt_public_key=Path(public_key_path).read_text() if public_key_path else None,
        )
        self.sessions = SessionRegistry(self.clock, self.credentials.org_id)
        self.limits = OrgLimits(self.clock, options)
        self.access = OrgAccess(options)  # hidden_fields=, hidden_objects=, ... (access.py)
        self.faults = Faults(seed)
        for rule in parse_option(options.get("faults", "")):
            self.faults.add(rule)
        self.bulk_job_latency_seconds = float(options.get("bulk_job_latency_seconds", 0))
        self.mutations = Mutations(self)
        self._executor = ThreadPoolExecutor(max_workers=JOB_WORKERS, thread_name_prefix="bulk-job")
        self.query_cursors = QueryCursors(self, work_dir / "cursors")
        self.query_jobs = QueryJobs(self, work_dir / "query-jobs", self._executor)
        self.ingest_jobs = IngestJobs(self, work_dir / "ingest-jobs", self._executor)
        self.bulk1_jobs = Bulk1Jobs(self)
        self.activity: list[dict] = []  # what restart_activity applied at this start (also in activity.jsonl)
        if reopened and restart_activity.enabled(options):
            # users changed the org since the last run (restart_activity.py): applied before anything is served
            self.activity = restart_activity.apply(self)

    # --- control API ------------------------------------------------------------------------------------------

    @property
    def seed(self) -> int:
        return int(self.store.setting("seed"))

    @property
    def scale(self) -> float:
        return float(self.store.setting("scale"))

    def rows(self, object_name: str, where_sql: str | None = None, limit: int | None = None) -> list[dict]:
        """The stored rows of an object (soft-deleted ones included), optionally filtered by a DuckDB condition
        over the quoted API field names, in insertion order."""
        table = self._table(object_name)
        sql = f"SELECT * FROM {table}" + (f" WHERE {where_sql}" if where_sql else "")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.store.read() as cur:
            cur.execute(sql)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row)) for row in cur.fetchall()]

    def count(self, object_name: str, where_sql: str | None = None) -> int:
        table = self._table(object_name)
        sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where_sql}" if where_sql else "")
        with self.store.read() as cur:
            return cur.execute(sql).fetchone()[0]

    def mutate(self, object_name: str, kind: str, count: int = 1, **options) -> dict:
        """Change the org as users and system processes do (``mutations.py``): update, soft_delete, hard_delete,
        merge, formula_recalc, late_commit, tie. Returns ``{"object", "kind", "ids", ...}``."""
        return self.mutations.apply(object_name, kind, count, **options)

    def usage(self) -> dict:
        """API usage: rolling limits (used/remaining), per-endpoint request counts, refusals, fault hits."""
        report = self.limits.usage()
        report["faults"] = [rule.as_dict() for rule in self.faults.rules()]
        return report

    def expire_sessions(self) -> None:
        """Invalidate every issued token (clients then get 401 INVALID_SESSION_ID)."""
        self.sessions.expire_all()

    def now(self) -> dt.datetime:
        return self.clock.now()

    @staticmethod
    def object_names() -> list[str]:
        return list(OBJECTS)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self.store.close()

    def _table(self, object_name: str) -> str:
        obj = get_object(object_name)
        if obj is None:
            raise KeyError(f"unknown object {object_name!r}")
        return quote(obj.name)
