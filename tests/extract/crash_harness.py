"""Crash-safety harness: kill extraction anywhere, re-run it, and check bronze against the org's true contents.

The product promises: "Any crash, at any point, followed by a re-run, leaves exactly the right rows: none lost,
none twice." A trial checks that promise once:

1. the org changes (updates, soft deletes, merges, hard deletes, late commits, same-second ties, new records,
   formula recalculations) through the sandbox's HTTP control API; the sandbox runs in its own process, so killing
   the extractor never kills the org;
2. a child process (``python -m tests.extract.crash_child``) runs one extraction cycle over a few objects (REST,
   Bulk API 2.0 with small result pages, reconciliation, formula refresh, sometimes through ``plan_cycle``) into a
   warehouse that persists across trials (DuckDB, a PostgreSQL database, or a Snowflake database on a fakesnow
   server the harness runs: ``HarnessConfig.warehouse``), and is SIGKILLed: either by its own observer at the Nth
   occurrence of a named step (``KILL_STEPS``) or by a timer in this process after a random delay, which lands
   anywhere (inside downloads, DuckDB inserts, commits, WAL writes);
3. sometimes the org changes again while the extractor is down;
4. the same cycle runs again in a new child, to completion;
5. ``check_warehouse`` and ``check_org_jobs`` compare the warehouse with the org (``Violation`` per problem).

``scripts/crash_trials.py`` (``make crash-trials``) runs hundreds of trials; ``test_crash_safety.py`` a few dozen.
This module is imported by both and never collected by pytest.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import duckdb
import requests

from extract.salesforce.bulk2_query import Bulk2QueryJob
from extract.salesforce.client import SalesforceClient
from extract.warehouse.bronze import CHANGE, TOMBSTONES_TABLE, bronze_table_name

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "salesforce"

KILL_STEPS = ("job_created", "page_downloaded", "page_landed", "before_commit", "after_commit", "before_tombstones")
TIMER = "timer"
KILL_POINTS = (*KILL_STEPS, TIMER)
# Account: merges and delete cascades (into Contact and Task); Contact: merges; Task: the biggest object, always
# through Bulk API 2.0; Invoice__c and Task: formula fields. Scale 0.1: 60 accounts, 180 contacts, 500 tasks.
OBJECTS = ("Account", "Contact", "Task", "Invoice__c")
ALWAYS_BULK = "Task"
MERGEABLE = frozenset({"Account", "Contact", "Lead", "Case"})
WITH_FORMULAS = frozenset({"Task", "Invoice__c", "Opportunity", "Case"})
TERMINAL_JOB_STATES = frozenset({"JobComplete", "Failed", "Aborted"})
# How many times a step occurs in one cycle before any run told us (then: the median of what clean runs saw).
FIRST_GUESS = {"job_created": 2, "page_downloaded": 10, "page_landed": 10, "before_commit": 8, "after_commit": 8,
               "before_tombstones": 2}


# --- the org's truth ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Record:
    stamp: str  # SystemModstamp as bronze lands it: 2024-01-31T12:34:56.000Z
    deleted: bool  # in the Recycle Bin (IsDeleted)


def landed_text(value) -> str:
    """A SystemModstamp (datetime, or ISO text from the control API) as the extractor lands it."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def truth_from_rows(rows: Iterable[dict]) -> dict[str, Record]:
    """{Id: Record} of every stored row (live and in the Recycle Bin: extraction reads with queryAll)."""
    return {r["Id"]: Record(landed_text(r["SystemModstamp"]), bool(r.get("IsDeleted"))) for r in rows}


class OrgControl:
    """The sandbox's HTTP control API (docs/SANDBOX.md): true contents, mutations, clock."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.http = requests.Session()

    def _call(self, method: str, path: str, **kwargs):
        response = self.http.request(method, self.url + path, timeout=60, **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"control API {method} {path}: HTTP {response.status_code}: {response.text[:500]}")
        return response.json()

    def rows(self, object_name: str) -> list[dict]:
        return self._call("GET", f"/objects/{object_name}/rows", params={"limit": 100_000_000})

    def truth(self, object_name: str) -> dict[str, Record]:
        return truth_from_rows(self.rows(object_name))

    def mutate(self, object_name: str, kind: str, count: int, **options) -> dict:
        return self._call("POST", "/orgs/salesforce/mutations",
                          json={"object": object_name, "kind": kind, "count": count, **options})

    def advance_clock(self, seconds: float) -> dict:
        return self._call("POST", "/clock", json={"advance_seconds": seconds})


# --- the checks --------------------------------------------------------------------------------------------------

@dataclass
class Violation:
    check: str  # see CHECKS
    object_name: str | None
    message: str
    examples: list = field(default_factory=list)

    def __str__(self) -> str:
        where = f"{self.object_name}: " if self.object_name else ""
        more = f"\n      e.g. {self.examples[:5]}" if self.examples else ""
        return f"[{self.check}] {where}{self.message}{more}"


CHECKS = {
    "missing_version": "a current (Id, SystemModstamp) of the org is not among bronze's change rows",
    "duplicate_version": "an (Id, SystemModstamp) appears more than once among change rows",
    "cursor": "state.salesforce_objects' cursor is not the highest SystemModstamp landed",
    "batch_without_audit": "rows whose _batch_id has no audit.extract_batches row with status succeeded",
    "batch_row_count": "a succeeded batch's audit row counts other rows than bronze holds for it",
    "state_batch": "the state's last_batch_id is not a succeeded batch",
    "open_jobs": "state.salesforce_open_jobs is not empty after a clean run",
    "running_job": "a Bulk job is still running in the org after a clean run",
    "abandoned_job": "a Bulk job an earlier attempt left open was neither aborted nor deleted",
    "missing_tombstone": "after a reconciliation, a record hard-deleted since it was landed live has no tombstone",
    "live_tombstoned": "a live record has a tombstone newer than its latest landed version",
    "cycle_failed": "an extraction cycle failed although nothing was injected (or the clean re-run failed)",
    "hang": "a cycle did not finish in time",
}


class PostgresReader:
    """A psycopg connection answering ``execute(sql with ?, params)`` like a DuckDB connection, for the checks."""

    def __init__(self, conninfo: dict):
        import psycopg

        self.con = psycopg.connect(**conninfo, autocommit=True)

    def execute(self, sql: str, params=()):
        from extract.warehouse.postgres_bronze import to_pyformat

        return self.con.execute(to_pyformat(sql), list(params))

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "PostgresReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SnowflakeReader:
    """A Snowflake (fakesnow) connection answering ``execute(sql with ?, params)`` like a DuckDB one, for the checks:
    quoted names folded to upper case as the writer folds them (snowflake_bronze.fold_identifiers)."""

    def __init__(self, connect_args: dict):
        import snowflake.connector

        self.con = snowflake.connector.connect(**connect_args, paramstyle="qmark", autocommit=True)

    def execute(self, sql: str, params=()):
        from extract.warehouse.snowflake_bronze import fold_identifiers

        cursor = self.con.cursor()
        cursor.execute(fold_identifiers(sql), list(params) if params else None)
        return cursor

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "SnowflakeReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FakesnowWarehouse:
    """A harness's Snowflake: fakesnow's server (scripts/fakesnow_server.py) started in ``<state dir>/fakesnow``
    and stopped by the harness, and the database the cycles land into. A failing trial's database is kept as it is
    (fakesnow cannot rename one) and the next trials land into a new one."""

    def __init__(self, state_dir: Path, prefix: str):
        self.db_dir = state_dir / "fakesnow"
        self.log_path = state_dir / "fakesnow.log"
        self.prefix = prefix
        self.database = self._new_name()
        self.server = None
        self.aborted = 0  # transactions killed children left open, rolled back before their re-runs

    def _new_name(self) -> str:
        return f"{self.prefix}_{uuid.uuid4().hex[:10]}".upper()

    def start(self) -> None:
        from scripts.local_env import start_fakesnow

        self.server = start_fakesnow(ROOT, self.db_dir, self.log_path)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def target(self) -> dict:
        """A WarehouseTarget's fields (fakesnow takes any password; the client refuses none)."""
        env = self.server.profile_env()
        return {"kind": "snowflake", "host": env["MEDALLION_SF_HOST"], "port": int(env["MEDALLION_SF_PORT"]),
                "user": env["MEDALLION_SF_USER"], "password": env["MEDALLION_SF_PASSWORD"], "database": self.database,
                # fakesnow answers what it cannot run with HTTP 500, which the client would otherwise retry for long
                "options": {"account": env["MEDALLION_SF_ACCOUNT"], "protocol": env["MEDALLION_SF_PROTOCOL"],
                            "network_timeout": 60}}

    def abort_open_transactions(self) -> int:
        """Roll back the transactions a killed child left open on the server, as Snowflake's abort of a detached
        transaction does (scripts/fakesnow_server.py); returns how many there were."""
        response = requests.post(f"http://localhost:{self.server.port}/medallion/abort-open-transactions", timeout=60)
        response.raise_for_status()
        aborted = int(response.json()["aborted"])
        self.aborted += aborted
        return aborted

    def renew(self) -> str:
        """Land into a new, empty database from now on; returns the old one's name (kept in the server)."""
        old, self.database = self.database, self._new_name()
        return old


def pg_conninfo(target: dict) -> dict:
    return {"host": target.get("host") or "127.0.0.1", "port": int(target.get("port") or 5432),
            "user": target.get("user") or "postgres", "dbname": target["database"]}


def open_reader(target: dict):
    """A read connection to a spec's warehouse (``target``: a WarehouseTarget's fields), or None if it is missing."""
    if target["kind"] == "postgres":
        return PostgresReader(pg_conninfo(target))
    if target["kind"] == "snowflake":
        from extract.warehouse import WarehouseTarget

        return SnowflakeReader(WarehouseTarget(**target).snowflake_connect_args())
    if not Path(target["duckdb_path"]).exists():
        return None
    return duckdb.connect(target["duckdb_path"], read_only=True)


def _tables(con) -> set[str]:
    # lower(): Snowflake holds unquoted names in upper case
    return {r[0] for r in con.execute(
        "select lower(table_name) from information_schema.tables where lower(table_schema) = 'bronze' "
        "and table_catalog = current_database()").fetchall()}


def _columns(con, table: str) -> set[str]:
    return {r[0] for r in con.execute(
        "select lower(column_name) from information_schema.columns where lower(table_schema) = 'bronze' "
        "and lower(table_name) = ? and table_catalog = current_database()", [table]).fetchall()}


def check_warehouse(con, truth: dict[str, dict[str, Record]], *,
                    reconciled: Iterable[str] = (), source: str = SOURCE) -> list[Violation]:
    """Every invariant bronze, state and audit must hold against ``truth`` ({object: {Id: Record}}) after a
    clean run. ``reconciled``: the objects whose last run included a reconciliation (tombstones are complete)."""
    violations: list[Violation] = []
    tables = _tables(con)
    reconciled = {name.lower() for name in reconciled}
    has_tombstones = TOMBSTONES_TABLE in tables
    for object_name, records in truth.items():
        table = bronze_table_name(object_name, source)
        violations += _check_object(con, object_name, table, records, table in tables, has_tombstones,
                                    object_name.lower() in reconciled, source)
    open_jobs = con.execute("select job_id, object_name, purpose, created_at from state.salesforce_open_jobs "
                            "order by created_at").fetchall()
    if open_jobs:
        violations.append(Violation("open_jobs", None, f"{len(open_jobs)} Bulk jobs still noted as open",
                                    [list(map(str, j)) for j in open_jobs]))
    return violations


def _check_object(con, object_name: str, table: str, records: dict[str, Record], exists: bool,
                  has_tombstones: bool, reconciled: bool, source: str) -> list[Violation]:
    found: list[Violation] = []
    quoted = f'bronze."{table}"'
    state = con.execute(
        "select cursor_value, last_batch_id from state.salesforce_objects where source = ? "
        "and lower(object_name) = lower(?)", [source, object_name]).fetchone()
    if not exists:
        if records:
            found.append(Violation("missing_version", object_name, f"no bronze table {table}: all "
                                   f"{len(records)} current versions are missing", sorted(records)[:5]))
        return found

    # none lost, none twice
    versions = dict(((i, s), n) for i, s, n in con.execute(
        f"select id, systemmodstamp, count(*) from {quoted} where _change_kind = '{CHANGE}' "
        f"group by id, systemmodstamp").fetchall())
    duplicates = sorted((key, n) for key, n in versions.items() if n > 1)
    if duplicates:
        found.append(Violation("duplicate_version", object_name, f"{len(duplicates)} (Id, SystemModstamp) landed "
                               f"more than once", [_rows_of(con, quoted, i, s) for (i, s), _ in duplicates[:3]]))
    missing = sorted((i, r.stamp) for i, r in records.items() if (i, r.stamp) not in versions)
    if missing:
        found.append(Violation("missing_version", object_name, f"{len(missing)} of {len(records)} current "
                               f"versions never landed", [
                                   {"id": i, "org_stamp": s, "org_deleted": records[i].deleted,
                                    "landed": _rows_of(con, quoted, i)} for i, s in missing[:3]]))

    # the cursor is the highest SystemModstamp landed, committed with those rows
    highest = con.execute(f"select max(systemmodstamp) from {quoted} where _change_kind = '{CHANGE}'").fetchone()[0]
    cursor = state[0] if state else None
    if cursor != highest:
        found.append(Violation("cursor", object_name, f"cursor {cursor!r} but highest SystemModstamp landed "
                               f"{highest!r}", _audit_tail(con, object_name, source=source)))
    if state and state[1] is not None and not con.execute(
            "select count(*) from audit.extract_batches where batch_id = ? and status = 'succeeded'",
            [state[1]]).fetchone()[0]:
        found.append(Violation("state_batch", object_name, f"last_batch_id {state[1]} has no succeeded audit row",
                               _audit_tail(con, object_name, source=source)))

    # every row's batch committed with its succeeded audit row, and the audit counts exactly those rows
    orphans = con.execute(
        f"""select b._batch_id, min(b._change_kind), count(*), min(a.status)
            from {quoted} b left join audit.extract_batches a on a.batch_id = b._batch_id
            where a.status is distinct from 'succeeded' group by b._batch_id order by 1""").fetchall()
    if orphans:
        found.append(Violation("batch_without_audit", object_name, f"{sum(o[2] for o in orphans)} rows in "
                               f"{len(orphans)} batches without a succeeded audit row", [
                                   {"batch_id": b, "kind": k, "rows": n, "audit_status": s}
                                   for b, k, n, s in orphans[:5]]))
    miscounted = con.execute(
        f"""select a.batch_id, a.kind, a.rows_landed, coalesce(c.n, 0)
            from audit.extract_batches a
            left join (select _batch_id, count(*) as n from {quoted} group by 1) c on c._batch_id = a.batch_id
            where a.status = 'succeeded' and a.bronze_table = ?
              and a.kind in ('full', 'incremental', 'formula_refresh', 'column_backfill')
              and a.rows_landed <> coalesce(c.n, 0)""", [table]).fetchall()
    if miscounted:
        found.append(Violation("batch_row_count", object_name, f"{len(miscounted)} succeeded batches whose "
                               f"rows_landed differs from their rows in bronze", [
                                   {"batch_id": b, "kind": k, "audit_rows": a, "bronze_rows": n}
                                   for b, k, a, n in miscounted[:5]]))
    if not has_tombstones:
        return found

    # tombstones are the source's own (several orgs share record Ids, as a sandbox copy shares production's)
    tombstoned = dict(con.execute(
        f"select id, max(_extracted_at) from bronze.{TOMBSTONES_TABLE} where lower(object_name) = lower(?) "
        f"and _source = ? group by id", [object_name, source]).fetchall())
    orphans = con.execute(
        f"""select t._batch_id, count(*), min(a.status) from bronze.{TOMBSTONES_TABLE} t
            left join audit.extract_batches a on a.batch_id = t._batch_id
            where lower(t.object_name) = lower(?) and t._source = ? and a.status is distinct from 'succeeded'
            group by t._batch_id""", [object_name, source]).fetchall()
    if orphans:
        found.append(Violation("batch_without_audit", object_name, f"tombstones in {len(orphans)} batches without "
                               "a succeeded audit row", [{"batch_id": b, "tombstones": n, "audit_status": s}
                                                         for b, n, s in orphans[:5]]))
    miscounted = con.execute(
        f"""select a.batch_id, a.tombstones, coalesce(c.n, 0) from audit.extract_batches a
            left join (select _batch_id, count(*) as n from bronze.{TOMBSTONES_TABLE} group by 1) c
              on c._batch_id = a.batch_id
            where a.status = 'succeeded' and a.kind = 'reconcile' and lower(a.object_name) = lower(?)
              and a.source = ? and a.tombstones <> coalesce(c.n, 0)""", [object_name, source]).fetchall()
    if miscounted:
        found.append(Violation("batch_row_count", object_name, f"{len(miscounted)} reconciliations whose audit "
                               "tombstone count differs from their tombstones", [
                                   {"batch_id": b, "audit_tombstones": a, "tombstones": n} for b, a, n in miscounted]))

    # tombstones: complete after a reconciliation, and never on a live record's latest version
    deleted_column = "isdeleted" if "isdeleted" in _columns(con, table) else "null"
    latest = {i: (s, d, at) for i, s, d, at in con.execute(
        f"""select id, systemmodstamp, d, _extracted_at from (
                select id, systemmodstamp, {deleted_column} as d, _extracted_at, row_number() over (
                    partition by id order by systemmodstamp desc nulls last, _extracted_at desc) as rn
                from {quoted} where id is not null) v
            where rn = 1""").fetchall()}
    last_landed = dict(con.execute(f"select id, max(_extracted_at) from {quoted} group by id").fetchall())
    if reconciled:
        gone = sorted(i for i, (_, deleted, at) in latest.items()
                      if i not in records and str(deleted).lower() != "true"
                      and not (i in tombstoned and tombstoned[i] > at))
        if gone:
            found.append(Violation("missing_tombstone", object_name, f"{len(gone)} records gone from the org "
                                   "(hard-deleted) whose latest landed version is live have no tombstone", [
                                       {"id": i, "latest_landed": latest[i][0], "tombstone_at": tombstoned.get(i)}
                                       for i in gone[:5]]))
    wrongly = sorted(i for i, at in tombstoned.items()
                     if i in records and not records[i].deleted and at > last_landed.get(i, datetime.min))
    if wrongly:
        found.append(Violation("live_tombstoned", object_name, f"{len(wrongly)} live records carry a tombstone "
                               "newer than their latest landed version", [
                                   {"id": i, "org_stamp": records[i].stamp, "tombstone_at": str(tombstoned[i]),
                                    "last_landed_at": str(last_landed.get(i))} for i in wrongly[:5]]))
    return found


def _rows_of(con, quoted: str, record_id: str, stamp: str | None = None) -> list:
    condition, params = ("id = ? and systemmodstamp = ?", [record_id, stamp]) if stamp else ("id = ?", [record_id])
    return [[str(v) for v in row] for row in con.execute(
        f"select id, systemmodstamp, _change_kind, _batch_id, _extracted_at from {quoted} where {condition} "
        f"order by _extracted_at", params).fetchall()]


def _audit_tail(con, object_name: str, n: int = 4, source: str = SOURCE) -> list:
    return [[str(v) for v in row] for row in con.execute(
        "select batch_id, kind, status, cursor_from, cursor_to, rows_landed, error from audit.extract_batches "
        "where lower(object_name) = lower(?) and source = ? and kind in ('full', 'incremental') "
        "order by started_at desc limit ?", [object_name, source, n]).fetchall()]


def list_query_jobs(client: SalesforceClient) -> list[dict]:
    """The org's Bulk API 2.0 query jobs (id, object, state)."""
    return client.get_json("/jobs/query", doing="list the org's Bulk query jobs").get("records", [])


def check_org_jobs(jobs: list[dict], abandoned: Iterable[str]) -> tuple[list[Violation], list[dict]]:
    """(violations, orphans). ``abandoned``: the jobs the clean run found noted open when it started; it must abort
    (and delete) them. An orphan is a finished job nobody noted: the process died between the org creating the job
    and ``remember_job`` committing its id. It runs to its end and expires with the org's job retention."""
    abandoned = set(abandoned)
    violations = []
    running = [j for j in jobs if j.get("state") not in TERMINAL_JOB_STATES]
    if running:
        violations.append(Violation("running_job", None, f"{len(running)} Bulk jobs still running after the clean "
                                    "run", [{k: j.get(k) for k in ("id", "object", "state")} for j in running]))
    left = [j for j in jobs if j["id"] in abandoned and j.get("state") != "Aborted"]
    if left:
        violations.append(Violation("abandoned_job", None, f"{len(left)} abandoned Bulk jobs neither aborted nor "
                                    "deleted", [{k: j.get(k) for k in ("id", "object", "state")} for j in left]))
    orphans = [j for j in jobs if j["id"] not in abandoned and j.get("state") in TERMINAL_JOB_STATES]
    return violations, orphans


# --- the child process -------------------------------------------------------------------------------------------

@dataclass
class ChildRun:
    returncode: int | None
    seconds: float  # from the child's STARTED line to its end
    trace: list[str]
    log_path: Path
    timer_fired: bool = False
    timed_out: bool = False

    @property
    def killed(self) -> bool:
        """Died of SIGKILL (its observer's or the timer's), not of the harness's hang timeout."""
        return self.returncode == -signal.SIGKILL and not self.timed_out

    @property
    def kill_line(self) -> str | None:
        return next((line for line in self.trace if line.startswith("kill ")), None)

    @property
    def steps(self) -> Counter:
        done = next((line for line in self.trace if line.startswith("done ")), None)
        if done:
            return Counter(json.loads(done[5:]))
        return Counter(line.split()[1] for line in self.trace if line.startswith("step "))

    @property
    def open_jobs_at_start(self) -> list[str]:
        line = next((line for line in self.trace if line.startswith("open_jobs ")), None)
        return json.loads(line[len("open_jobs "):]) if line else []

    @property
    def errors(self) -> list[str]:
        return [line for line in self.trace if line.startswith("result ") and '"error"' in line]

    def last_step(self) -> str:
        steps = [line for line in self.trace if line.startswith(("step ", "open_jobs", "plan ", "opened"))]
        if not steps:
            return "before any step (login, describe, first query)"
        words = steps[-1].split()
        if words[0] == "step":
            return f"{words[1]} #{words[2]}"
        return "plan_cycle" if words[0] == "plan" else "warehouse opened, before any step"

    def log_tail(self, lines: int = 25) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_child(spec: dict, directory: Path, name: str, *, kill_after_s: float | None = None,
              timeout_s: float = 240, module: str = "tests.extract.crash_child") -> ChildRun:
    """Run ``module`` (``crash_child``, or ``erp_crash_child``) with ``spec``; SIGKILL it ``kill_after_s`` seconds
    after it started, if still running."""
    directory.mkdir(parents=True, exist_ok=True)
    spec = {**spec, "trace": str(directory / f"{name}.trace")}
    spec_path = directory / f"{name}.json"
    spec_path.write_text(json.dumps(spec, indent=1))
    Path(spec["trace"]).unlink(missing_ok=True)
    log_path = directory / f"{name}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", module, str(spec_path)], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=log, text=True, preexec_fn=_die_with_parent)
        process.stdout.readline()  # STARTED (or nothing if it died first)
        started = time.monotonic()
        timer_fired = timed_out = False
        if kill_after_s is not None:
            try:
                process.wait(timeout=max(kill_after_s, 0.0))
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                timer_fired = True
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            timed_out = True
        seconds = time.monotonic() - started
        process.stdout.close()
    trace_path = Path(spec["trace"])
    trace = trace_path.read_text(errors="replace").splitlines() if trace_path.exists() else []
    return ChildRun(process.returncode, seconds, trace, log_path, timer_fired and process.returncode == -9, timed_out)


def cycle_spec(values: dict, warehouse: Path | dict, work_dir: Path, objects: list[dict], *, plan: bool = False,
               plan_reconcile: bool = False, plan_refresh: bool = False, bulk_page_rows: int = 50,
               lookback_s: int = 300, concurrency: int = 2, rest_first: bool = False,
               kill: dict | None = None) -> dict:
    """The child's input: ``objects`` = [{"name", "route": "rest"|"bulk", "reconcile", "refresh"}];
    ``warehouse``: a DuckDB file, or a target's fields ({"kind": "postgres", "database": ...})."""
    target = warehouse if isinstance(warehouse, dict) else {"kind": "local", "duckdb_path": str(warehouse)}
    return {"sandbox": values, "target": target, "work_dir": str(work_dir), "objects": objects,
            "plan": plan, "plan_reconcile": plan_reconcile, "plan_refresh": plan_refresh,
            "bulk_page_rows": bulk_page_rows, "lookback_s": lookback_s, "concurrency": concurrency,
            "rest_first": rest_first, "kill": kill}


def reconciled_objects(spec: dict) -> set[str]:
    if spec["plan"]:
        return {o["name"] for o in spec["objects"]} if spec["plan_reconcile"] else set()
    return {o["name"] for o in spec["objects"] if o["reconcile"]}


# --- the sandbox, out of process ---------------------------------------------------------------------------------

class OutOfProcessSandbox:
    """``python -m sandbox`` in its own process (scripts/local_env.start_sandbox); stopped on exit."""

    def __init__(self, state_dir: Path, *, seed: int = 11, scale: float = 0.1, custom_scale: float = 0.05,
                 second_org: bool = False):
        self.state_dir, self.seed, self.scale, self.custom_scale = state_dir, seed, scale, custom_scale
        self.second_org = second_org
        self.running = None
        self.values: dict[str, str] = {}

    def __enter__(self) -> "OutOfProcessSandbox":
        from scripts.local_env import start_sandbox

        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "MEDALLION_MANIFEST_PATH": str(self.state_dir / "no-manifest.json"),
               "MEDALLION_DUCKDB_PATH": str(self.state_dir / "hightouch-warehouse.duckdb")}
        self.running = start_sandbox(ROOT, self.state_dir, env, [
            "--seed", str(self.seed), "--scale", str(self.scale), "--extra", f"custom_scale={self.custom_scale}",
            *(["second_org=true"] if self.second_org else [])])
        self.values = dict(self.running.values)
        return self

    def __exit__(self, *exc) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


def sandbox_client(values: dict, prefix: str = "SALESFORCE_") -> SalesforceClient:
    from tests.extract.crash_child import RETRY, credentials

    return SalesforceClient(credentials(values, prefix), RETRY)


@dataclass
class HarnessOrg:
    """One org the trials extract: its source (bronze tables ``<source>__<object>``), the prefix of its printed
    login, its control API and a client of the harness's own (the org's Bulk job list)."""

    source: str
    prefix: str
    control: OrgControl
    client: SalesforceClient


SECOND_ORG_SOURCE = "salesforce_org2"  # the sandbox's second org (second_org=true), as test_orgs.py names it


# --- trials ------------------------------------------------------------------------------------------------------

@dataclass
class TrialReport:
    number: int
    kill_point: str
    kill_detail: str
    killed: bool
    landed_after: str  # the last step the child traced before it died
    violations: list[Violation]
    mutations: list[str]
    spec: dict
    seconds: float
    artifacts: Path | None = None

    def describe(self) -> str:
        objects = ", ".join(f"{o['name']}({o['route']}{'+reconcile' if o['reconcile'] else ''}"
                            f"{'+refresh' if o['refresh'] else ''})" for o in self.spec["objects"])
        mode = (f"plan_cycle(reconcile={self.spec['plan_reconcile']}, refresh={self.spec['plan_refresh']})"
                if self.spec["plan"] else "explicit work")
        lines = [f"trial {self.number}: kill at {self.kill_point} {self.kill_detail} -> "
                 f"{'killed after ' + self.landed_after if self.killed else 'finished before the kill'}",
                 f"  cycle: {mode}; {objects}; bulk pages of {self.spec['bulk_page_rows']} rows",
                 f"  org changes: {'; '.join(self.mutations) or 'none'}"]
        lines += [f"  {v}" for v in self.violations]
        if self.artifacts:
            lines.append(f"  warehouse, specs, traces and logs kept in {self.artifacts}")
        return "\n".join(lines)


@dataclass
class Summary:
    trials: int = 0
    seconds: float = 0.0
    kills: Counter = field(default_factory=Counter)  # kill point -> trials where the child died there
    not_reached: Counter = field(default_factory=Counter)  # chosen, but the cycle ended first
    timer_landed_after: Counter = field(default_factory=Counter)  # where the timer kills fell
    mutations: Counter = field(default_factory=Counter)
    orphaned_jobs: int = 0
    leftover_work_files: int = 0
    failed_trials: list[TrialReport] = field(default_factory=list)
    points: tuple[str, ...] = KILL_POINTS  # the kill points reported (the ERP harness has its own)
    bulk_jobs: bool = True  # report orphaned Bulk jobs (Salesforce only)

    @property
    def violations(self) -> list[Violation]:
        return [v for trial in self.failed_trials for v in trial.violations]

    def format(self) -> str:
        lines = [f"crash trials: {self.trials} in {self.seconds:.0f}s "
                 f"({self.seconds / max(self.trials, 1):.1f}s per trial)",
                 f"kills: {sum(self.kills.values())} of {self.trials} trials"]
        for point in self.points:
            extra = f" (+{self.not_reached[point]} chosen but the cycle ended first)" if self.not_reached[point] else ""
            lines.append(f"  {point:<18} {self.kills[point]:>4}{extra}")
        if self.timer_landed_after:
            lines.append("timer kills landed after: " + ", ".join(
                f"{k} {v}" for k, v in self.timer_landed_after.most_common()))
        lines.append("org changes between runs: " + ", ".join(f"{k} {v}" for k, v in sorted(self.mutations.items())))
        if self.bulk_jobs:
            lines.append(f"orphaned Bulk jobs (created, killed before their id was noted; finished, deleted by the "
                         f"harness): {self.orphaned_jobs}")
        lines.append(f"result-page files left in the work dir by killed runs (removed by the harness): "
                     f"{self.leftover_work_files}")
        lines.append(f"violations: {len(self.violations)} in {len(self.failed_trials)} trials")
        for trial in self.failed_trials:
            lines.append(trial.describe())
        return "\n".join(lines)


@dataclass
class HarnessConfig:
    state_dir: Path
    seed: int = 1
    objects: tuple[str, ...] = OBJECTS
    org_seed: int = 11
    scale: float = 0.1
    lookback_s: int = 300
    timer_share: float = 0.3  # the share of trials killed by the wall-clock timer
    plan_share: float = 0.3  # the share of cycles that go through plan_cycle (not for job_created and
    # before_tombstones kills, which need a Bulk job and a reconciliation the plan might not ask for)
    keep_all: bool = False  # keep every trial's specs, traces and logs (else only those of failing trials)
    # 2: the sandbox serves a second org; each trial runs both orgs' cycles at once, in two processes (as the DAG's
    # per-org task groups run), kills one of them and re-runs it; both orgs are checked. PostgreSQL or Snowflake
    # only (DuckDB has one writer at a time).
    orgs: int = 1
    warehouse: str = "duckdb"  # duckdb | postgres (a database the harness creates, and drops unless kept) |
    # snowflake (fakesnow's server, started and stopped by the harness, its databases in <state dir>/fakesnow)
    pg_admin: dict = field(default_factory=lambda: {"host": "127.0.0.1", "port": 5432, "user": "postgres"})


class CrashHarness:
    """``with CrashHarness(config) as harness: summary = harness.run(200)``"""

    def __init__(self, config: HarnessConfig, log: Callable[[str], None] = lambda line: None):
        self.config = config
        self.log = log
        self.rng = random.Random(config.seed)
        self.state_dir = config.state_dir.resolve()
        self.warehouse = self.state_dir / "warehouse.duckdb"
        self.pg_database = f"crash_trials_{uuid.uuid4().hex[:10]}" if config.warehouse == "postgres" else None
        self.fakesnow = FakesnowWarehouse(self.state_dir, "crash_trials") if config.warehouse == "snowflake" else None
        self.kept_databases: list[str] = []
        self.work_dir = self.state_dir / "work"
        if config.orgs not in (1, 2) or (config.orgs == 2 and config.warehouse == "duckdb"):
            raise ValueError("orgs=2 runs two writer processes at once: PostgreSQL or Snowflake only")
        self.sandbox = OutOfProcessSandbox(self.state_dir / "org", seed=config.org_seed, scale=config.scale,
                                           second_org=config.orgs == 2)
        self.control: OrgControl | None = None
        self.client: SalesforceClient | None = None
        self.orgs: list[HarnessOrg] = []
        self.summary = Summary()
        self.step_counts: dict[str, list[int]] = defaultdict(list)
        self.durations: list[float] = []
        self.first_steps: list[float] = []  # seconds from STARTED to the first observer step

    def __enter__(self) -> "CrashHarness":
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.fakesnow:
            self.fakesnow.start()
        try:
            self.sandbox.__enter__()
        except BaseException:
            if self.fakesnow:
                self.fakesnow.stop()
            raise
        self.control = OrgControl(self.sandbox.values["SANDBOX_CONTROL_URL"])
        self.client = sandbox_client(self.sandbox.values)
        self.orgs = [HarnessOrg(SOURCE, "SALESFORCE_", self.control, self.client)]
        if self.config.orgs == 2:
            self.orgs.append(HarnessOrg(SECOND_ORG_SOURCE, "SALESFORCE_2_",
                                        OrgControl(self.sandbox.values["SANDBOX_CONTROL_2_URL"]),
                                        sandbox_client(self.sandbox.values, "SALESFORCE_2_")))
        if self.pg_database:
            self._pg_admin(f'create database "{self.pg_database}"')
        return self

    def __exit__(self, *exc) -> None:
        self.sandbox.__exit__(*exc)
        if self.pg_database:
            self._pg_admin(f'drop database if exists "{self.pg_database}" with (force)')
        if self.fakesnow:
            self.fakesnow.stop()

    @property
    def target(self) -> dict:
        """The warehouse the cycles land into, as a WarehouseTarget's fields."""
        if self.fakesnow:
            return self.fakesnow.target
        if self.pg_database:
            return {"kind": "postgres", **self.config.pg_admin, "database": self.pg_database}
        return {"kind": "local", "duckdb_path": str(self.warehouse)}

    def _pg_admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(**pg_conninfo({**self.config.pg_admin, "database": "postgres"}),
                             autocommit=True) as con:
            con.execute(statement)

    # --- running -------------------------------------------------------------------------------------------------
    def run(self, trials: int) -> Summary:
        started = time.monotonic()
        first = self.summary.trials + 1
        for number in range(first, first + trials):
            report = self.trial(number)
            self.summary.trials += 1
            self.summary.seconds = time.monotonic() - started
            status = "VIOLATION" if report.violations else "ok"
            self.log(f"trial {number:>4}: {report.kill_point:<17} "
                     f"{('killed after ' + report.landed_after) if report.killed else 'not reached':<55} "
                     f"{report.seconds:5.1f}s {status}")
            if report.violations:
                self.log(report.describe())
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def trial(self, number: int) -> TrialReport:
        if self.config.orgs == 2:
            return self.trial_two_orgs(number)
        started = time.monotonic()
        directory = self.state_dir / "trials" / f"{number:05d}"
        # one random stream per trial: its org changes and cycle depend on the seed and its number only, not on
        # how far earlier kills happened to get
        self.rng = random.Random(f"{self.config.seed}/{number}")
        point = self.choose_kill_point()
        spec = self.choose_cycle(point)
        # plan_cycle's count probes cannot see a record re-stamped inside the lookback window (a late commit or a
        # tie on a record already in it: same counts, nothing newer than the cursor), so a planned cycle may
        # leave it for the object's next extraction. That is no crash fault: planned cycles get no such changes.
        restamps = not spec["plan"]
        mutations = self.change_org(self.rng.randint(1, 4), restamps=restamps)
        kill_detail, child = self.killed_run(spec, point, directory)
        if child.killed and self.fakesnow:  # a detached transaction, aborted as Snowflake does (not by the product)
            self.fakesnow.abort_open_transactions()
        if child.killed and self.rng.random() < 0.3:  # the org keeps changing while the extractor is down
            mutations += [f"(while down) {m}" for m in self.change_org(self.rng.randint(1, 2), restamps=restamps)]
        violations: list[Violation] = []
        if not child.killed:
            if child.timed_out:
                violations.append(Violation("hang", None, f"the killed run did not finish in time: "
                                            f"{child.log_tail(10)}"))
            elif child.returncode != 0:
                violations.append(Violation("cycle_failed", None, f"the run to be killed failed by itself (exit "
                                            f"{child.returncode}): {child.errors}\n{child.log_tail()}"))
        if child.killed:
            self.summary.kills[point] += 1
            if point == TIMER:
                self.summary.timer_landed_after[child.last_step().split(" #")[0]] += 1
        else:
            self.summary.not_reached[point] += 1
            self._learn(child)
        self.summary.leftover_work_files += self._clean_work_dir()

        if child.killed:
            rerun = run_child({**spec, "kill": None}, directory, "rerun")
            if rerun.returncode != 0:
                violations.append(Violation("hang" if rerun.timed_out else "cycle_failed", None,
                                            f"the clean re-run failed (exit {rerun.returncode}): {rerun.errors}\n"
                                            f"{rerun.log_tail()}"))
            else:
                self._learn(rerun)
        else:  # the cycle ended before the kill: it was the clean run
            rerun = child
        violations += self.check(spec, abandoned=rerun.open_jobs_at_start)
        report = TrialReport(number, point, kill_detail, child.killed,
                             child.last_step() if child.killed else "", violations, mutations, spec,
                             time.monotonic() - started)
        if violations:
            report.artifacts = self._keep(directory)
            self.summary.failed_trials.append(report)
            self._fresh_warehouse()  # start over, so one fault is not reported again by every later trial
        elif not self.config.keep_all:
            shutil.rmtree(directory, ignore_errors=True)
        return report

    def trial_two_orgs(self, number: int) -> TrialReport:
        """Both orgs change; both orgs' cycles start at once, each in a process of its own; one of them (the
        victim, drawn per trial) is killed while the other runs to its end; the victim's cycle runs again; then
        both orgs are checked, each against its own truth and under its own source."""
        started = time.monotonic()
        directory = self.state_dir / "trials" / f"{number:05d}"
        self.rng = random.Random(f"{self.config.seed}/{number}")
        point = self.choose_kill_point()
        cycle = self.choose_cycle(point)
        victim, other = self.orgs if self.rng.random() < 0.5 else self.orgs[::-1]
        restamps = not cycle["plan"]
        mutations = [f"{org.source}: {m}" for org in self.orgs
                     for m in self.change_org(self.rng.randint(1, 3), restamps=restamps, control=org.control)]
        spec, other_spec = self._for_org(cycle, victim), self._for_org({**cycle, "kill": None}, other)
        with ThreadPoolExecutor(1) as pool:  # the other org's cycle runs, unharmed, while the victim is killed
            other_future = pool.submit(run_child, other_spec, directory, f"{other.source}-alongside")
            kill_detail, child = self.killed_run(spec, point, directory)
            alongside = other_future.result()
        kill_detail = f"{victim.source} {kill_detail} (alongside {other.source})"
        if child.killed and self.fakesnow:  # a detached transaction, aborted as Snowflake does (not by the product)
            self.fakesnow.abort_open_transactions()
        if child.killed and self.rng.random() < 0.3:
            mutations += [f"(while down) {victim.source}: {m}" for m in self.change_org(
                self.rng.randint(1, 2), restamps=restamps, control=victim.control)]
        violations: list[Violation] = []
        if alongside.returncode != 0:
            violations.append(Violation("hang" if alongside.timed_out else "cycle_failed", None,
                                        f"{other.source}'s cycle, run alongside the killed one, failed (exit "
                                        f"{alongside.returncode}): {alongside.errors}\n{alongside.log_tail()}"))
        else:
            self._learn(alongside)
        if child.killed:
            self.summary.kills[point] += 1
            if point == TIMER:
                self.summary.timer_landed_after[child.last_step().split(" #")[0]] += 1
            rerun = run_child({**spec, "kill": None}, directory, f"{victim.source}-rerun")
            if rerun.returncode != 0:
                violations.append(Violation("hang" if rerun.timed_out else "cycle_failed", None,
                                            f"{victim.source}'s clean re-run failed (exit {rerun.returncode}): "
                                            f"{rerun.errors}\n{rerun.log_tail()}"))
            else:
                self._learn(rerun)
        else:
            self.summary.not_reached[point] += 1
            if child.timed_out or child.returncode != 0:
                violations.append(Violation("hang" if child.timed_out else "cycle_failed", None,
                                            f"{victim.source}'s run to be killed failed by itself (exit "
                                            f"{child.returncode}): {child.errors}\n{child.log_tail()}"))
            else:
                self._learn(child)
            rerun = child
        self.summary.leftover_work_files += self._clean_work_dir()
        violations += self.check(spec, abandoned=rerun.open_jobs_at_start, org=victim)
        violations += self.check(other_spec, abandoned=alongside.open_jobs_at_start, org=other)
        report = TrialReport(number, point, kill_detail, child.killed, child.last_step() if child.killed else "",
                             violations, mutations, spec, time.monotonic() - started)
        if violations:
            report.artifacts = self._keep(directory)
            self.summary.failed_trials.append(report)
            self._fresh_warehouse()
        elif not self.config.keep_all:
            shutil.rmtree(directory, ignore_errors=True)
        return report

    def _for_org(self, spec: dict, org: HarnessOrg) -> dict:
        """The cycle ``spec`` for ``org``: its source, its login, a work directory of its own."""
        return {**spec, "source": org.source, "prefix": org.prefix, "work_dir": str(self.work_dir / org.source)}

    def killed_run(self, spec: dict, point: str, directory: Path) -> tuple[str, ChildRun]:
        if point == TIMER:
            typical = statistics.median(self.durations[-20:]) if self.durations else 2.0
            first = statistics.median(self.first_steps[-20:]) if self.first_steps else 0.3
            # mostly while batches run; sometimes in login, describe, the first query or opening the warehouse
            delay = (self.rng.uniform(first, max(first, typical) * 1.05) if self.rng.random() < 0.8
                     else self.rng.uniform(0.0, first))
            return f"after {delay:.2f}s", run_child(spec, directory, "killed", kill_after_s=delay)
        nth = self.rng.randint(1, self.expected_count(spec, point))
        return f"#{nth}", run_child({**spec, "kill": {"step": point, "nth": nth}}, directory, "killed")

    def expected_count(self, spec: dict, step: str) -> int:
        """How often ``step`` should occur in the cycle: exact bounds for explicit work, else what runs saw."""
        seen = self.step_counts.get(step) or [FIRST_GUESS[step]]
        typical = max(1, round(statistics.median(seen[-20:]) * 0.9))
        if spec["plan"]:
            return typical
        objects = spec["objects"]
        batches = sum(1 + o["reconcile"] + o["refresh"] for o in objects)  # refresh only where formulas exist
        if step in ("before_commit", "after_commit"):
            return batches
        if step == "before_tombstones":
            return max(1, sum(o["reconcile"] for o in objects))
        if step == "job_created":  # at most one job per Bulk batch (an empty window goes through REST)
            return max(1, min(typical, sum(1 + o["reconcile"] + o["refresh"] for o in objects
                                           if o["route"] == "bulk")))
        return max(batches, typical)  # pages: at least one per batch

    def _learn(self, run: ChildRun) -> None:
        if run.returncode != 0:
            return
        self.durations.append(run.seconds)
        first = next((line for line in run.trace if line.startswith("step ")), None)
        if first:
            self.first_steps.append(float(first.split()[3]))
        counts = run.steps
        for step in KILL_STEPS:
            if counts.get(step):
                self.step_counts[step].append(counts[step])

    # --- choosing ------------------------------------------------------------------------------------------------
    def choose_kill_point(self) -> str:
        if self.rng.random() < self.config.timer_share:
            return TIMER
        # the observer step killed least often so far: every step is hit even in a short run
        return min(KILL_STEPS, key=lambda s: (self.summary.kills[s], self.rng.random()))

    def choose_cycle(self, point: str) -> dict:
        rng = self.rng
        objects = [{"name": name, "route": "bulk" if name == ALWAYS_BULK or rng.random() < 0.25 else "rest",
                    "reconcile": rng.random() < 0.35, "refresh": name in WITH_FORMULAS and rng.random() < 0.3}
                   for name in self.config.objects]
        if point == "before_tombstones" and not any(o["reconcile"] for o in objects):
            rng.choice(objects)["reconcile"] = True
        plan = point not in ("job_created", "before_tombstones") and rng.random() < self.config.plan_share
        return cycle_spec(self.sandbox.values, self.target, self.work_dir, objects, plan=plan,
                          plan_reconcile=rng.random() < 0.5, plan_refresh=rng.random() < 0.35,
                          bulk_page_rows=rng.choice((40, 60, 100)), lookback_s=self.config.lookback_s,
                          concurrency=rng.choice((1, 2, 3)), rest_first=rng.random() < 0.5)

    def change_org(self, how_many: int, restamps: bool = True, control: OrgControl | None = None) -> list[str]:
        """Random mutations through the control API (``control``: another org's); returns what was done, for the
        report. ``restamps``: late commits and ties on existing records too."""
        rng, done = self.rng, []
        control = control or self.control
        if rng.random() < 0.08:
            seconds = rng.randint(360, 900)  # past the lookback: the windows move on
            control.advance_clock(seconds)
            done.append(f"clock +{seconds}s")
            self.summary.mutations["clock_advance"] += 1
        menu = [("update", 4), ("soft_delete", 2), ("merge", 1.5), ("hard_delete", 1.5), ("late_commit", 2),
                ("new_records", 2.5), ("tie", 2), ("formula_recalc", 1)]
        if not restamps:
            menu = [(kind, weight) for kind, weight in menu if kind not in ("late_commit", "tie")]
        for _ in range(how_many):
            kind = rng.choices([k for k, _ in menu], [w for _, w in menu])[0]
            candidates = [o for o in self.config.objects if (kind != "merge" or o in MERGEABLE)
                          and (kind != "formula_recalc" or o in WITH_FORMULAS)]
            if not candidates:
                continue
            name, count, options = rng.choice(candidates), rng.randint(1, 3), {}
            if kind == "hard_delete":
                count = rng.randint(1, 2)
                options = {"live": rng.random() < 0.7}
            elif kind == "late_commit":
                options = {"lag_seconds": rng.randint(5, self.config.lookback_s - 60)}
            elif kind == "new_records":
                options = {"new_rows": True, "lag_seconds": rng.choice((0, 0, rng.randint(1, 120)))}
            api_kind = "late_commit" if kind == "new_records" else kind
            try:
                result = control.mutate(name, api_kind, count, **options)
            except RuntimeError as error:
                done.append(f"{kind} {name} refused: {error}")
                continue
            cascade = {k: len(v) for k, v in (result.get("cascade") or {}).items() if v}
            done.append(f"{kind} {name} x{len(result.get('ids', []))}"
                        + (f" {options}" if options else "") + (f" cascade {cascade}" if cascade else ""))
            self.summary.mutations[kind] += 1
        return done

    # --- checking ------------------------------------------------------------------------------------------------
    def truth(self, objects: Iterable[str], control: OrgControl | None = None) -> dict[str, dict[str, Record]]:
        return {name: (control or self.control).truth(name) for name in objects}

    def check(self, spec: dict, abandoned: Iterable[str] = (), org: HarnessOrg | None = None) -> list[Violation]:
        """The warehouse against the org's truth (``org``: one of several, checked under its source)."""
        control, client, source = (org.control, org.client, org.source) if org else (self.control, self.client,
                                                                                   SOURCE)
        objects = [o["name"] for o in spec["objects"]]
        truth = self.truth(objects, control)
        violations = []
        reader = open_reader(spec["target"])
        if reader is not None:
            with reader as con:
                found = check_warehouse(con, truth, reconciled=reconciled_objects(spec), source=source)
            violations += [replace(v, object_name=f"{source}.{v.object_name}") if org and v.object_name else v
                           for v in found]
        else:
            violations.append(Violation("missing_version", None, "no warehouse file after the clean run"))
        job_violations, orphans = check_org_jobs(list_query_jobs(client), abandoned)
        violations += job_violations
        self.summary.orphaned_jobs += len(orphans)
        for job in orphans:  # the org's job list starts every trial empty
            Bulk2QueryJob(client, job["id"], job.get("object", "")).delete()
        return violations

    # --- housekeeping --------------------------------------------------------------------------------------------
    def _clean_work_dir(self) -> int:
        if not self.work_dir.exists():
            return 0
        files = sum(1 for p in self.work_dir.rglob("*") if p.is_file())
        shutil.rmtree(self.work_dir, ignore_errors=True)
        return files

    def _keep(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        if self.fakesnow:  # the failing database stays in the server's directory; the next trials use a new one
            kept = self.fakesnow.database
            self.kept_databases.append(kept)
            (directory / "warehouse.txt").write_text(f"fakesnow database {kept} in {self.fakesnow.db_dir}\n")
            return directory
        if self.pg_database:  # the failing warehouse stays, renamed; the next trials start a new one
            kept = f"{self.pg_database}_trial_{directory.name}"
            self._pg_admin(f'alter database "{self.pg_database}" rename to "{kept}"')
            self._pg_admin(f'create database "{self.pg_database}"')
            self.kept_databases.append(kept)
            (directory / "warehouse.txt").write_text(f"PostgreSQL database {kept}\n")
            return directory
        for suffix in ("", ".wal"):
            source = Path(str(self.warehouse) + suffix)
            if source.exists():
                shutil.copy2(source, directory / (source.name))
        return directory

    def _fresh_warehouse(self) -> None:
        if self.fakesnow:
            self.fakesnow.renew()
            return
        if self.pg_database:
            self._pg_admin(f'drop database if exists "{self.pg_database}" with (force)')
            self._pg_admin(f'create database "{self.pg_database}"')
            return
        for suffix in ("", ".wal"):
            Path(str(self.warehouse) + suffix).unlink(missing_ok=True)
