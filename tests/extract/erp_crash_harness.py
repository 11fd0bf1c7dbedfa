"""Crash-safety harness for the ERP: kill its extraction anywhere, re-run it, check bronze against the ERP's truth.

The same promise as the Salesforce harness (``tests/extract/crash_harness.py``), for the three ERP sources. A trial:

1. the ERP changes through the sandbox's ERP controller (the sandbox runs in this process, on a frozen clock that
   moves on by whole seconds: updates, soft deletes, new customers and orders, late orders, payments, usage events
   (some late), late commits inside the lookback, same-second ties at the cursor with new rows, file drops, and
   re-drops of a file already dropped under another name);
2. a child process (``python -m tests.extract.erp_crash_child``) runs one cycle over some tables, the drop folder
   and some API resources, in a random order and with small pages, into a warehouse that persists across trials
   (DuckDB or PostgreSQL), optionally archiving every batch in a bronze store, and is SIGKILLed: by its own
   observer at the Nth occurrence of a named step (``KILL_STEPS``) or by a timer after a random delay;
3. sometimes the ERP changes again while the extractor is down;
4. the same cycle runs again in a new child, to completion;
5. ``check_erp_warehouse`` (and ``check_store``) compare the warehouse (and the store) with the ERP.

``scripts/crash_trials.py --source erp`` (``make crash-trials SOURCE=erp``) runs hundreds of trials;
``test_erp_crash_safety.py`` a few. Imported by both, never collected by pytest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import shutil
import statistics
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extract.erp.api_extraction import RESOURCES, parse_api_time
from extract.erp.file_extraction import DONE_SUFFIX, LEDGER_PREFIX, QUARANTINE_OBJECT
from extract.erp.options import API_SOURCE, DATABASE_SOURCE, FILES_SOURCE
from extract.erp.tables import CURSOR, ROW_KEY, TABLES
from extract.erp.tables import table as table_named
from extract.warehouse.bronze import bronze_table_name
from tests.extract.crash_harness import (
    TIMER,
    ChildRun,
    FakesnowWarehouse,
    Summary,
    TrialReport,
    Violation,
    open_reader,
    pg_conninfo,
    run_child,
)

KILL_STEPS = ("pages_read", "page_landed", "before_commit", "after_commit", "before_archive")
KILL_POINTS = (*KILL_STEPS, TIMER)
CHILD = "tests.extract.erp_crash_child"
ERP_SOURCES = (DATABASE_SOURCE, FILES_SOURCE, API_SOURCE)
FIRST_GUESS = {"pages_read": 6, "page_landed": 12, "before_commit": 6, "after_commit": 6, "before_archive": 1}
FILE_KINDS = {"invoices": "invoices", "customers": "customers"}  # drop kind -> bronze.erp_files__<kind>

CHECKS = {
    "missing_version": "a current (key, cursor) of the ERP is not in bronze",
    "duplicate_version": "a (key, cursor) appears more than once in bronze",
    "latest_differs": "bronze's latest version of a key is not the ERP's row (or bronze has a key the ERP lacks)",
    "cursor": "the state's cursor is not the highest cursor landed",
    "state_batch": "the state's last_batch_id is not a succeeded batch",
    "batch_without_audit": "rows whose _batch_id has no audit row with status succeeded",
    "batch_row_count": "a succeeded batch's audit row counts other rows than bronze holds for it",
    "file_not_landed": "a dropped file has no ledger entry (state file:<sha256>) after a clean run",
    "file_rows": "a file's landed rows + quarantined records differ from its records, or it landed in two batches",
    "redrop_landed": "a re-drop of a file landed before landed rows again",
    "quarantine_doubled": "a quarantined record (sha256, line) is in bronze more than once",
    "file_not_archived": "a ready file is still in the drop folder after a clean run",
    "store_missing": "a committed batch has no sealed manifest after complete",
    "store_extra": "a sealed manifest's batch is not a succeeded batch of the warehouse",
    "store_rows": "a sealed manifest counts other rows than bronze holds for its batch",
    "store_pending": "a batch the warehouse knows is still pending in the store after complete",
    "cycle_failed": "an extraction cycle failed although nothing was injected (or the clean re-run failed)",
    "hang": "a cycle did not finish in time",
}


# --- the ERP's truth ---------------------------------------------------------------------------------------------

def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def erp_table_truth(db, table) -> tuple[tuple[str, ...], dict[str, tuple]]:
    """(columns, {key: row as text}) of a relational ERP table, every column as the database prints it."""
    columns = tuple(r["column_name"] for r in db.query(
        "select column_name from information_schema.columns where table_schema = 'main' and table_name = %s "
        "order by ordinal_position", (table.name,)))
    select = [f"cast({_q(c)} as varchar) as {_q(c)}" for c in columns]
    if len(table.key) > 1:
        columns += (ROW_KEY,)
        select.append(" || ':' || ".join(f"cast({_q(k)} as varchar)" for k in table.key) + f" as {ROW_KEY}")
    rows = db.query(f"select {', '.join(select)} from {_q(table.name)}")
    return columns, {r[table.key_field]: tuple(r[c] for c in columns) for r in rows}


def erp_api_truth(db, resource) -> dict[str, dt.datetime]:
    """{key: cursor} of an API resource, from the table the sandbox's API serves."""
    return {str(r["k"]): r["c"] for r in db.query(
        f"select {_q(resource.key)} as k, {_q(resource.cursor)} as c from api.{_q(resource.name)}")}


@dataclass
class DroppedFile:
    name: str
    kind: str  # invoices | customers
    sha256: str
    records: int
    redrop_of: str | None = None  # the sha256 it repeats (same content, another name)


# --- the checks --------------------------------------------------------------------------------------------------

def _tables(con) -> set[str]:
    # lower(): Snowflake holds unquoted names in upper case
    return {r[0] for r in con.execute(
        "select lower(table_name) from information_schema.tables where lower(table_schema) = 'bronze' "
        "and table_catalog = current_database()").fetchall()}


def _state(con, source: str, name: str):
    return con.execute("select cursor_value, last_batch_id from state.salesforce_objects where source = ? and "
                       "object_name = ?", [source, name]).fetchone()


def _succeeded(con, batch_id: str) -> bool:
    return bool(con.execute("select count(*) from audit.extract_batches where batch_id = ? and status = "
                            "'succeeded'", [batch_id]).fetchone()[0])


def _check_batches(con, table: str, label: str) -> list[Violation]:
    """Every row's batch succeeded, and each succeeded batch's audit counts exactly its rows."""
    found = []
    quoted = f"bronze.{_q(table)}"
    orphans = con.execute(
        f"""select b._batch_id, count(*), min(a.status) from {quoted} b
            left join audit.extract_batches a on a.batch_id = b._batch_id
            where a.status is distinct from 'succeeded' group by b._batch_id order by 1""").fetchall()
    if orphans:
        found.append(Violation("batch_without_audit", label, f"{sum(o[1] for o in orphans)} rows in {len(orphans)} "
                               "batches without a succeeded audit row",
                               [{"batch_id": b, "rows": n, "audit_status": s} for b, n, s in orphans[:5]]))
    miscounted = con.execute(
        f"""select a.batch_id, a.kind, a.rows_landed, coalesce(c.n, 0) from audit.extract_batches a
            left join (select _batch_id, count(*) as n from {quoted} group by 1) c on c._batch_id = a.batch_id
            where a.status = 'succeeded' and a.bronze_table = ? and a.rows_landed <> coalesce(c.n, 0)""",
        [table]).fetchall()
    if miscounted:
        found.append(Violation("batch_row_count", label, f"{len(miscounted)} succeeded batches whose rows_landed "
                               "differs from their rows in bronze",
                               [{"batch_id": b, "kind": k, "audit_rows": a, "bronze_rows": n}
                                for b, k, a, n in miscounted[:5]]))
    return found


def check_db_table(con, table, columns: tuple[str, ...], truth: dict[str, tuple], exists: bool) -> list[Violation]:
    bronze = bronze_table_name(table.name, DATABASE_SOURCE)
    label = f"{DATABASE_SOURCE}.{table.name}"
    if not exists:
        return [Violation("missing_version", label, f"no bronze table {bronze}: all {len(truth)} rows missing")] \
            if truth else []
    found: list[Violation] = []
    quoted, key = f"bronze.{_q(bronze)}", _q(table.key_field)
    versions = Counter({(k, s): n for k, s, n in con.execute(
        f"select {key}, {_q(CURSOR)}, count(*) from {quoted} group by 1, 2").fetchall()})
    duplicates = sorted(v for v, n in versions.items() if n > 1)
    if duplicates:
        found.append(Violation("duplicate_version", label, f"{len(duplicates)} (key, modified_at) landed more than "
                               "once", duplicates[:5]))
    cursor_at = columns.index(CURSOR)
    missing = sorted((k, row[cursor_at]) for k, row in truth.items() if (k, row[cursor_at]) not in versions)
    if missing:
        found.append(Violation("missing_version", label, f"{len(missing)} of {len(truth)} current versions never "
                               "landed", missing[:5]))
    listed = ", ".join(_q(c) for c in columns)
    latest = {r[0]: tuple(r[1:]) for r in con.execute(
        f"""select {key}, {listed} from (select {listed}, row_number() over (partition by {key}
                order by {_q(CURSOR)} desc) as rn from {quoted}) v where rn = 1""").fetchall()}
    differs = sorted(k for k in set(latest) | set(truth) if latest.get(k) != truth.get(k))
    if differs:
        found.append(Violation("latest_differs", label, f"{len(differs)} keys whose latest bronze version is not "
                               "the ERP's row", [{"key": k, "bronze": latest.get(k), "erp": truth.get(k)}
                                                 for k in differs[:3]]))
    found += _check_cursor(con, DATABASE_SOURCE, table.name, label,
                           con.execute(f"select max({_q(CURSOR)}) from {quoted}").fetchone()[0])
    return found + _check_batches(con, bronze, label)


def _check_cursor(con, source: str, name: str, label: str, highest) -> list[Violation]:
    found = []
    state = _state(con, source, name)
    cursor = state[0] if state else None
    if cursor != highest:
        found.append(Violation("cursor", label, f"cursor {cursor!r} but highest landed {highest!r}"))
    if state and state[1] is not None and not _succeeded(con, state[1]):
        found.append(Violation("state_batch", label, f"last_batch_id {state[1]} has no succeeded audit row"))
    return found


def check_api_resource(con, resource, truth: dict[str, dt.datetime], exists: bool) -> list[Violation]:
    bronze = bronze_table_name(resource.name, API_SOURCE)
    label = f"{API_SOURCE}.{resource.name}"
    if not exists:
        return [Violation("missing_version", label, f"no bronze table {bronze}: all {len(truth)} rows missing")] \
            if truth else []
    found: list[Violation] = []
    quoted = f"bronze.{_q(bronze)}"
    rows = con.execute(f"select {_q(resource.key)}, {_q(resource.cursor)} from {quoted}").fetchall()
    versions = Counter((str(k), parse_api_time(c)) for k, c in rows)
    duplicates = sorted(v for v, n in versions.items() if n > 1)
    if duplicates:
        found.append(Violation("duplicate_version", label, f"{len(duplicates)} (key, cursor) landed more than once",
                               [(k, str(c)) for k, c in duplicates[:5]]))
    missing = sorted((k, c) for k, c in truth.items() if (k, c) not in versions)
    if missing:
        found.append(Violation("missing_version", label, f"{len(missing)} of {len(truth)} current versions never "
                               "landed", [(k, str(c)) for k, c in missing[:5]]))
    latest: dict[str, dt.datetime] = {}
    for k, c in versions:
        latest[k] = max(c, latest.get(k, c))
    extra = sorted(k for k in latest if k not in truth)
    if extra:
        found.append(Violation("latest_differs", label, f"{len(extra)} keys in bronze the ERP lacks", extra[:5]))
    highest = max((c for _, c in rows), key=parse_api_time, default=None)
    found += _check_cursor(con, API_SOURCE, resource.name, label, highest)
    return found + _check_batches(con, bronze, label)


def check_files(con, dropped: list[DroppedFile], tables: set[str], drop_dir: Path) -> list[Violation]:
    found: list[Violation] = []
    quarantine = bronze_table_name(QUARANTINE_OBJECT, FILES_SOURCE)
    has_quarantine = quarantine in tables
    for kind in sorted(set(FILE_KINDS.values()) | {QUARANTINE_OBJECT}):
        table = bronze_table_name(kind, FILES_SOURCE)
        if table in tables:
            found += _check_batches(con, table, f"{FILES_SOURCE}.{kind}")
    if has_quarantine:
        doubled = con.execute(f"select quarantine_key, count(*) from bronze.{_q(quarantine)} group by 1 "
                              "having count(*) > 1").fetchall()
        if doubled:
            found.append(Violation("quarantine_doubled", f"{FILES_SOURCE}.{QUARANTINE_OBJECT}",
                                   f"{len(doubled)} quarantined records more than once", doubled[:5]))
    originals = {f.sha256 for f in dropped if f.redrop_of is None}
    ledger = {name.removeprefix(LEDGER_PREFIX): batch for name, batch in con.execute(
        "select object_name, last_batch_id from state.salesforce_objects where source = ?",
        [FILES_SOURCE]).fetchall() if name.startswith(LEDGER_PREFIX)}
    unknown = sorted(set(ledger) - originals)
    if unknown:
        found.append(Violation("file_rows", FILES_SOURCE, f"{len(unknown)} ledger entries for files never dropped",
                               unknown[:5]))
    for f in dropped:
        label = f"{FILES_SOURCE}:{f.name}"
        table = bronze_table_name(FILE_KINDS[f.kind], FILES_SOURCE)
        if (drop_dir / f.name).exists() or (drop_dir / (f.name + DONE_SUFFIX)).exists():
            found.append(Violation("file_not_archived", label, "still in the drop folder"))
        by_batch = dict(con.execute(f"select _batch_id, count(*) from bronze.{_q(table)} where source_file = ? "
                                    "group by 1", [f.name]).fetchall()) if table in tables else {}
        if f.redrop_of is not None:
            if by_batch:
                found.append(Violation("redrop_landed", label, f"a re-drop of {f.redrop_of[:12]} landed rows",
                                       by_batch))
            continue
        if f.sha256 not in ledger:
            found.append(Violation("file_not_landed", label, f"no ledger entry for sha256 {f.sha256[:12]}"))
            continue
        batch = ledger[f.sha256]
        if not _succeeded(con, batch):
            found.append(Violation("state_batch", label, f"ledger batch {batch} has no succeeded audit row"))
        quarantined = con.execute(f"select count(*) from bronze.{_q(quarantine)} where file_sha256 = ?",
                                  [f.sha256]).fetchone()[0] if has_quarantine else 0
        landed = sum(by_batch.values())
        if set(by_batch) - {batch} or landed + quarantined != f.records:
            found.append(Violation("file_rows", label, f"{f.records} records, {landed} landed + {quarantined} "
                                   f"quarantined; ledger batch {batch}", by_batch))
    return found


def check_erp_warehouse(con, db, dropped: list[DroppedFile] | None, drop_dir: Path, *,
                        tables: Iterable[str] = tuple(t.name for t in TABLES),
                        resources: Iterable[str] = tuple(RESOURCES)) -> list[Violation]:
    """Every invariant bronze, state and audit must hold against the ERP (``db``: the sandbox's ErpDatabase)
    after a clean run of these ``tables``, ``resources`` and (unless ``dropped`` is None) the drop folder."""
    present = _tables(con)
    violations: list[Violation] = []
    for name in tables:
        table = table_named(name)
        columns, truth = erp_table_truth(db, table)
        violations += check_db_table(con, table, columns, truth,
                                     bronze_table_name(table.name, DATABASE_SOURCE) in present)
    for name in resources:
        resource = RESOURCES[name]
        violations += check_api_resource(con, resource, erp_api_truth(db, resource),
                                         bronze_table_name(resource.name, API_SOURCE) in present)
    if dropped is not None:
        violations += check_files(con, dropped, present, drop_dir)
    return violations


def check_store(con, store, statuses: Callable[[list[str]], dict[str, str]]) -> list[Violation]:
    """After ``complete``: the sealed manifests are exactly the warehouse's succeeded ERP batches (``unchanged``
    file audits land nothing and are not archived), with their rows; nothing the warehouse knows stays pending."""
    found: list[Violation] = []
    done = store.complete(statuses)
    known = statuses(done["left"]) if done["left"] else {}
    if known:
        found.append(Violation("store_pending", None, f"{len(known)} batches the warehouse knows left pending",
                               sorted(known.items())[:5]))
    manifests = {m.batch_id: m for m in store.manifests()}
    placeholders = ", ".join("?" for _ in ERP_SOURCES)
    committed = {b: t for b, t in con.execute(
        f"select batch_id, bronze_table from audit.extract_batches where status = 'succeeded' and source in "
        f"({placeholders})", list(ERP_SOURCES)).fetchall()}
    missing = sorted(set(committed) - set(manifests))
    if missing:
        found.append(Violation("store_missing", None, f"{len(missing)} committed batches without a sealed manifest",
                               missing[:5]))
    extra = sorted(set(manifests) - set(committed))
    if extra:
        found.append(Violation("store_extra", None, f"{len(extra)} sealed manifests of batches the warehouse did "
                               "not commit", extra[:5]))
    wrong = []
    for batch_id in sorted(set(manifests) & set(committed)):
        manifest, table = manifests[batch_id], committed[batch_id]
        in_bronze = con.execute(f"select count(*) from bronze.{_q(table)} where _batch_id = ?",
                                [batch_id]).fetchone()[0] if table in _tables(con) else 0
        archived = {f.table: f.rows for f in manifest.files}
        if manifest.rows != in_bronze or (in_bronze and archived != {table: in_bronze}):
            wrong.append({"batch_id": batch_id, "manifest": archived, "bronze": {table: in_bronze}})
    if wrong:
        found.append(Violation("store_rows", None, f"{len(wrong)} manifests count other rows than bronze", wrong[:5]))
    return found


# --- trials ------------------------------------------------------------------------------------------------------

@dataclass
class ErpHarnessConfig:
    state_dir: Path
    seed: int = 1
    org_seed: int = 11
    scale: float = 0.1
    lookback_s: int = 60  # short, so a run's lookback does not quietly repair what an earlier run lost
    timer_share: float = 0.3
    keep_all: bool = False
    warehouse: str = "duckdb"  # duckdb | postgres (a database the harness creates, and drops unless kept) |
    # snowflake (fakesnow's server, started and stopped by the harness, its databases in <state dir>/fakesnow)
    pg_admin: dict = field(default_factory=lambda: {"host": "127.0.0.1", "port": 5432, "user": "postgres"})
    bronze_store: bool = False  # archive every batch in a local bronze store, and check it


class ErpCrashHarness:
    """``with ErpCrashHarness(config) as harness: summary = harness.run(200)``"""

    def __init__(self, config: ErpHarnessConfig, log: Callable[[str], None] = lambda line: None, *,
                 sandbox=None):
        """``sandbox``: a running sandbox to use (left running); by default one of its own, stopped on exit."""
        self.config = config
        self.own_sandbox = sandbox is None
        self.log = log
        self.rng = random.Random(config.seed)
        self.state_dir = config.state_dir.resolve()
        self.warehouse = self.state_dir / "warehouse.duckdb"
        self.pg_database = f"crash_trials_erp_{uuid.uuid4().hex[:10]}" if config.warehouse == "postgres" else None
        self.fakesnow = (FakesnowWarehouse(self.state_dir, "crash_trials_erp") if config.warehouse == "snowflake"
                         else None)
        self.kept_databases: list[str] = []
        self.work_dir = self.state_dir / "work"
        self.archive_dir = self.state_dir / "archive"
        self.store_dir = self.state_dir / "store" if config.bronze_store else None
        self.sandbox = sandbox
        self.erp = None
        self.dropped: list[DroppedFile] = []
        self.summary = Summary(points=KILL_POINTS, bulk_jobs=False)
        self.step_counts: dict[str, list[int]] = defaultdict(list)
        self.durations: list[float] = []
        self.first_steps: list[float] = []  # seconds from STARTED to the first observer step
        self.next_day = dt.date(2030, 1, 1)  # drop file dates: every drop gets a name of its own

    def __enter__(self) -> "ErpCrashHarness":
        from sandbox.server import Sandbox

        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.fakesnow:
            self.fakesnow.start()
        if self.own_sandbox:
            self.sandbox = Sandbox(self.state_dir / "erp-org", seed=self.config.org_seed, scale=self.config.scale,
                                   erp_api_rate_limit=1000).start()
        try:
            self.erp = self.sandbox.controller("erp")
            self.erp.clock.freeze(self.erp.now())  # moves only when a trial moves it: no same-second accidents
            env = self.sandbox.env()
            self.values = {"dsn": env["ERP_DSN"], "drop_dir": env["ERP_DROP_DIR"], "api_url": env["ERP_API_URL"],
                           "api_token": env["ERP_API_TOKEN"]}
            for marker in self._ready_files():  # the sandbox's first drops
                data = json.loads(marker.read_text())
                self._noted(marker.with_name(data["file"]), data["records"])
            if self.pg_database:
                self._pg_admin(f'create database "{self.pg_database}"')
        except BaseException:
            if self.own_sandbox:
                self.sandbox.stop()
            if self.fakesnow:
                self.fakesnow.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.own_sandbox:
            self.sandbox.stop()
        if self.pg_database:
            self._pg_admin(f'drop database if exists "{self.pg_database}" with (force)')
        if self.fakesnow:
            self.fakesnow.stop()

    @property
    def drop_dir(self) -> Path:
        return Path(self.values["drop_dir"])

    @property
    def target(self) -> dict:
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
            self.log(f"trial {number:>4}: {report.kill_point:<15} "
                     f"{('killed after ' + report.landed_after) if report.killed else 'not reached':<45} "
                     f"{report.seconds:5.1f}s {status}")
            if report.violations:
                self.log(report.describe())
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def trial(self, number: int) -> TrialReport:
        started = time.monotonic()
        directory = self.state_dir / "trials" / f"{number:05d}"
        self.rng = random.Random(f"erp/{self.config.seed}/{number}")
        point = self.choose_kill_point()
        mutations = self.change_erp(self.rng.randint(1, 4))
        if point == "before_archive" and not self._ready_files():
            mutations += self._drop(self.rng.choice(("invoices", "customers")))
        spec = self.choose_cycle(point)
        kill_detail, child = self.killed_run(spec, point, directory)
        if child.killed and self.fakesnow:  # a detached transaction, aborted as Snowflake does (not by the product)
            self.fakesnow.abort_open_transactions()
        if child.killed and self.rng.random() < 0.3:
            mutations += [f"(while down) {m}" for m in self.change_erp(self.rng.randint(1, 2))]
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
            rerun = run_child({**spec, "kill": None}, directory, "rerun", module=CHILD)
            if rerun.returncode != 0:
                violations.append(Violation("hang" if rerun.timed_out else "cycle_failed", None,
                                            f"the clean re-run failed (exit {rerun.returncode}): {rerun.errors}\n"
                                            f"{rerun.log_tail()}"))
            else:
                self._learn(rerun)
        self.summary.leftover_work_files += self._clean_work_dir()
        violations += self.check(spec)
        report = ErpTrialReport(number, point, kill_detail, child.killed,
                                child.last_step() if child.killed else "", violations, mutations, spec,
                                time.monotonic() - started)
        if violations:
            report.artifacts = self._keep(directory)
            self.summary.failed_trials.append(report)
            self._fresh_warehouse()
        elif not self.config.keep_all:
            shutil.rmtree(directory, ignore_errors=True)
        return report

    def killed_run(self, spec: dict, point: str, directory: Path) -> tuple[str, ChildRun]:
        if point == TIMER:
            typical = statistics.median(self.durations[-20:]) if self.durations else 2.0
            first = statistics.median(self.first_steps[-20:]) if self.first_steps else 0.5
            # mostly while batches run; sometimes while opening the warehouse or reading the first pages
            delay = (self.rng.uniform(first, max(first, typical) * 1.05) if self.rng.random() < 0.8
                     else self.rng.uniform(0.0, first))
            return f"after {delay:.2f}s", run_child(spec, directory, "killed", kill_after_s=delay, module=CHILD)
        nth = self.rng.randint(1, self.expected_count(spec, point))
        return f"#{nth}", run_child({**spec, "kill": {"step": point, "nth": nth}}, directory, "killed",
                                    module=CHILD)

    def expected_count(self, spec: dict, step: str) -> int:
        # new files land in one or two batches (quarantine first); re-drops of a landed file in none
        ready = {m.name.removesuffix(DONE_SUFFIX) for m in self._ready_files()}
        files = sum(1 for f in self.dropped if f.name in ready and f.redrop_of is None) \
            if any(p[0] == "drops" for p in spec["parts"]) else 0
        batches = sum(len(p[1]) for p in spec["parts"] if p[0] != "drops") + files
        if step == "before_archive":
            return max(1, files)
        if step in ("pages_read", "before_commit", "after_commit"):
            return max(1, batches)
        seen = self.step_counts.get(step) or [FIRST_GUESS[step]]
        return max(1, round(statistics.median(seen[-20:]) * 0.9))

    def _learn(self, run: ChildRun) -> None:
        if run.returncode != 0:
            return
        self.durations.append(run.seconds)
        first = next((line for line in run.trace if line.startswith("step ")), None)
        if first:
            self.first_steps.append(float(first.split()[3]))
        counts = run.steps
        if counts.get("page_landed"):
            self.step_counts["page_landed"].append(counts["page_landed"])

    # --- choosing ------------------------------------------------------------------------------------------------
    def choose_kill_point(self) -> str:
        if self.rng.random() < self.config.timer_share:
            return TIMER
        return min(KILL_STEPS, key=lambda s: (self.summary.kills[s], self.rng.random()))

    @staticmethod
    def all_parts() -> list:
        return [["tables", [t.name for t in TABLES]], ["drops"], ["resources", list(RESOURCES)]]

    def choose_cycle(self, point: str) -> dict:
        rng = self.rng
        tables = [t.name for t in TABLES if rng.random() < 0.6] or [rng.choice(TABLES).name]
        resources = [r for r in RESOURCES if rng.random() < 0.7]
        parts = [["tables", tables]]
        if point == "before_archive" or rng.random() < 0.7:
            parts.append(["drops"])
        if resources:
            parts.append(["resources", resources])
        rng.shuffle(parts)
        return {"erp": self.values, "target": self.target, "work_dir": str(self.work_dir),
                "archive_dir": str(self.archive_dir), "parts": parts,
                "page_rows": rng.choice((50, 120, 400)), "api_page_size": rng.choice((40, 100, 250)),
                "lookback_s": self.config.lookback_s,
                "bronze_store": str(self.store_dir) if self.store_dir else None, "kill": None}

    def change_erp(self, how_many: int) -> list[str]:
        """Random ERP changes, each round a whole second or more after the last (a key is never changed twice in
        one second once landed); a ``tie`` adds new rows in the very second of the previous round."""
        rng, erp, done = self.rng, self.erp, []
        if rng.random() < 0.08:
            seconds = rng.randint(self.config.lookback_s + 60, 3 * self.config.lookback_s)  # past the lookback
            erp.clock.advance(dt.timedelta(seconds=seconds))
            done.append(f"clock +{seconds}s")
            self.summary.mutations["clock_advance"] += 1
        menu = [("touch_customers", 3), ("touch_orders", 3), ("soft_delete", 2), ("add_customers", 1.5),
                ("add_orders", 2), ("late_orders", 1), ("pay_invoices", 2), ("usage_events", 2),
                ("late_usage", 1), ("late_commit", 1.5), ("tie", 1.5), ("drop_file", 2), ("redrop", 0.7)]
        for _ in range(how_many):
            kind = rng.choices([k for k, _ in menu], [w for _, w in menu])[0]
            if kind != "tie":
                erp.clock.advance(dt.timedelta(seconds=rng.randint(1, 4)))
            n = rng.randint(1, 4)
            if kind == "touch_customers":
                done.append(f"touch customers {erp.touch_customers(n)}")
            elif kind == "touch_orders":
                done.append(f"touch orders {erp.touch_orders(n)}")
            elif kind == "soft_delete":
                what = rng.choice(("customers", "orders", "invoices"))
                done.append(f"soft delete {what} {getattr(erp, f'soft_delete_{what}')(rng.randint(1, 2))}")
            elif kind == "add_customers":
                done.append(f"add customers {erp.add_customers(n)}")
            elif kind == "add_orders":
                done.append(f"add orders {erp.add_orders(n)}")
            elif kind == "late_orders":
                done.append(f"add orders dated back {erp.add_orders(n, days_ago=rng.randint(1, 30))}")
            elif kind == "pay_invoices":
                done.append(f"pay invoices -> payments {erp.pay_invoices(n)}")
            elif kind == "usage_events":
                done.append(f"usage events x{len(erp.add_usage_events(rng.randint(5, 60)))}")
            elif kind == "late_usage":
                occurred = erp.now() - dt.timedelta(days=rng.randint(1, 5))
                done.append(f"late usage events x{len(erp.add_usage_events(rng.randint(5, 30), occurred_at=occurred))}")
            elif kind == "late_commit":
                # a transaction stamped a while ago commits only now (inside the lookback): new rows, so no key
                # gets two contents in one second
                lag = rng.randint(2, self.config.lookback_s - 10)
                now = erp.now()
                erp.clock.freeze(now - dt.timedelta(seconds=lag))
                try:
                    added = erp.add_orders(rng.randint(1, 2))
                finally:
                    erp.clock.freeze(now)
                done.append(f"late commit (-{lag}s) orders {added}")
            elif kind == "tie":
                added = rng.choice((erp.add_orders, erp.add_customers))(rng.randint(1, 2))
                done.append(f"tie (same second as the last round) {added}")
            elif kind == "drop_file":
                done += self._drop(rng.choice(("invoices", "customers")))
            elif kind == "redrop":
                done += self._redrop()
            self.summary.mutations[kind] += 1
        return done

    def _drop(self, kind: str) -> list[str]:
        day, self.next_day = self.next_day, self.next_day + dt.timedelta(days=1)
        dropped = getattr(self.erp, f"drop_{kind}")(day=day)
        self._noted(dropped.path, dropped.records)
        return [f"drop {dropped.path.name} ({dropped.records} records)"]

    def _redrop(self) -> list[str]:
        """A file already dropped (landed or not), dropped again under another name with its marker."""
        originals = [f for f in self.dropped if f.redrop_of is None]
        if not originals:
            return []
        original = self.rng.choice(originals)
        source = self.archive_dir / original.name
        if not source.exists():
            source = self.drop_dir / original.name
        if not source.exists():  # archived under a checksum-suffixed name: not worth finding
            return []
        day, self.next_day = self.next_day, self.next_day + dt.timedelta(days=1)
        target = self.drop_dir / f"{original.kind}_{day:%Y%m%d}.csv"
        shutil.copy(source, target)
        data = target.read_bytes()
        if hashlib.sha256(data).hexdigest() != original.sha256:
            target.unlink()
            return []
        target.with_name(target.name + DONE_SUFFIX).write_text(json.dumps(
            {"file": target.name, "records": original.records, "bytes": len(data), "sha256": original.sha256}))
        self.dropped.append(DroppedFile(target.name, original.kind, original.sha256, original.records,
                                        redrop_of=original.sha256))
        return [f"re-drop {original.name} as {target.name}"]

    def _noted(self, path: Path, records: int) -> None:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        kind = path.name.split("_")[0]
        earlier = next((f for f in self.dropped if f.sha256 == sha and f.redrop_of is None), None)
        self.dropped.append(DroppedFile(path.name, kind, sha, records,
                                        redrop_of=earlier.sha256 if earlier else None))

    def _ready_files(self) -> list[Path]:
        return sorted(p for p in self.drop_dir.glob(f"*{DONE_SUFFIX}"))

    # --- checking ------------------------------------------------------------------------------------------------
    def check(self, spec: dict) -> list[Violation]:
        reader = open_reader(self.target)
        if reader is None:
            return [Violation("missing_version", None, "no warehouse file after the clean run")]
        parts = dict((p[0], p[1] if len(p) > 1 else True) for p in spec["parts"])
        with reader as con:
            violations = check_erp_warehouse(con, self.erp.db, self.dropped if "drops" in parts else None,
                                             self.drop_dir, tables=parts.get("tables", ()),
                                             resources=parts.get("resources", ()))
        if self.store_dir is not None:
            from extract.bronze_store import BronzeStore
            from extract.warehouse import WarehouseTarget, open_bronze_writer

            store = BronzeStore.from_url(str(self.store_dir))
            with open_bronze_writer(WarehouseTarget(**self.target)) as writer:
                statuses = writer.batch_statuses
                reader = open_reader(self.target) if self.pg_database or self.fakesnow else None
                if reader is None:  # DuckDB: one process, one connection: read through the writer's
                    violations += check_store(_WriterReader(writer), store, statuses)
                else:
                    with reader as con:
                        violations += check_store(con, store, statuses)
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
            self.kept_databases.append(self.fakesnow.database)
            (directory / "warehouse.txt").write_text(f"fakesnow database {self.fakesnow.database} in "
                                                     f"{self.fakesnow.db_dir}\n")
        elif self.pg_database:
            kept = f"{self.pg_database}_trial_{directory.name}"
            self._pg_admin(f'alter database "{self.pg_database}" rename to "{kept}"')
            self._pg_admin(f'create database "{self.pg_database}"')
            self.kept_databases.append(kept)
            (directory / "warehouse.txt").write_text(f"PostgreSQL database {kept}\n")
        else:
            for suffix in ("", ".wal"):
                source = Path(str(self.warehouse) + suffix)
                if source.exists():
                    shutil.copy2(source, directory / source.name)
        if self.store_dir is not None and self.store_dir.exists():
            shutil.copytree(self.store_dir, directory / "store", dirs_exist_ok=True)
        return directory

    def _fresh_warehouse(self) -> None:
        """Start over (one fault is not reported again by every later trial): an empty warehouse and store; the
        ERP's files all dropped again (the ledger that knew them is gone)."""
        if self.fakesnow:
            self.fakesnow.renew()
        elif self.pg_database:
            self._pg_admin(f'drop database if exists "{self.pg_database}" with (force)')
            self._pg_admin(f'create database "{self.pg_database}"')
        else:
            for suffix in ("", ".wal"):
                Path(str(self.warehouse) + suffix).unlink(missing_ok=True)
        if self.store_dir is not None:
            shutil.rmtree(self.store_dir, ignore_errors=True)
        shutil.rmtree(self.archive_dir, ignore_errors=True)
        self.dropped = []
        for marker in self._ready_files():  # what is still in the drop folder is all there is to land now
            data = json.loads(marker.read_text())
            self._noted(marker.with_name(data["file"]), data["records"])


class ErpTrialReport(TrialReport):
    def describe(self) -> str:
        parts = "; ".join(f"{p[0]}" + (f" {','.join(p[1])}" if len(p) > 1 else "") for p in self.spec["parts"])
        lines = [f"trial {self.number}: kill at {self.kill_point} {self.kill_detail} -> "
                 f"{'killed after ' + self.landed_after if self.killed else 'finished before the kill'}",
                 f"  cycle: {parts}; pages of {self.spec['page_rows']} rows, API pages of "
                 f"{self.spec['api_page_size']}{'; bronze store' if self.spec.get('bronze_store') else ''}",
                 f"  ERP changes: {'; '.join(self.mutations) or 'none'}"]
        lines += [f"  {v}" for v in self.violations]
        if self.artifacts:
            lines.append(f"  warehouse, store, specs, traces and logs kept in {self.artifacts}")
        return "\n".join(lines)


class _WriterReader:
    """A DuckDB writer's connection answering ``execute(sql, params)`` for the checks."""

    def __init__(self, writer):
        self.con = writer.con

    def execute(self, sql: str, params=()):
        return self.con.execute(sql, list(params))
