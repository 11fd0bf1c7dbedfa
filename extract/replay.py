"""Re-land bronze from the bronze store as of a past batch, so silver can be rebuilt as it was then.

    python -m extract.replay --store URL --duckdb WAREHOUSE --list
    python -m extract.replay --store URL --duckdb WAREHOUSE --as-of BATCH_ID|TIMESTAMP [--into OTHER.duckdb]

``--as-of`` takes a batch id (that batch and every batch extracted before it, across objects and sources) or a
timestamp (naive UTC, or with an offset; batches extracted at or before it). Every file is verified against its
manifest's sha256 and row count; a missing or corrupt one stops the replay with an error naming it.

Without ``--into`` the warehouse itself is rebuilt: pending manifests of batches it committed are sealed first
(``BronzeStore.complete``), the bronze is replayed into a new file next to it, and only when that succeeded is the
warehouse moved aside (``<name>.before-replay-<time>``) and the new file put in its place. Bronze, the extraction
state (each object's cursor as its last replayed batch committed it) and the audit rows of the replayed batches
are restored, so extraction carries on from that point; silver and gold are rebuilt by dbt. The org table and
the open Bulk jobs are not history: the rebuilt warehouse keeps the current ones.

A PostgreSQL or Snowflake warehouse (``run`` with a WarehouseTarget; ``make replay TARGET=...``) is rebuilt in
place through its writer (``replay_in_place``): every file fetched and verified first, then bronze's tables, the
objects' state, the window keys and the batch audit moved into schema ``replay_backup_<time>`` and landed afresh,
in one transaction on PostgreSQL; on Snowflake (DDL commits) from clones taken first, put back on failure.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from extract.bronze_store import BronzeStore, Manifest, StoreError, iter_parquet
from extract.warehouse.bronze import ObjectState, bronze_table_name
from extract.warehouse.sql_bronze import KEPT_BRONZE_TABLES, quote_literal

CARRIED_OVER = ("salesforce_orgs", "salesforce_open_jobs")  # kept by an in-place replay, whatever the warehouse

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    as_of: str
    batches: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # bronze table -> rows re-landed
    objects: dict[str, str | None] = field(default_factory=dict)  # "source.object" -> cursor restored
    kept: str | None = None  # where the warehouse as it was is kept (a file, or a schema)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def parse_as_of(text: str) -> datetime | None:
    """A timestamp as naive UTC, or None when ``text`` is not one (then it names a batch)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def select(manifests: list[Manifest], as_of: str, superseded: dict[str, str] | None = None) -> list[Manifest]:
    """The batches to replay for ``as_of`` (a batch id or a timestamp), in landing order."""
    ordered = sorted(manifests, key=lambda m: m.order)
    if superseded and as_of in superseded:
        raise StoreError(f"batch {as_of} was taken off the warehouse's history by the replay recorded in "
                         f"_superseded/{superseded[as_of]}")
    named = next((m for m in ordered if m.batch_id == as_of), None)
    if named is not None:
        return [m for m in ordered if m.order <= named.order]
    moment = parse_as_of(as_of)
    if moment is None:
        raise StoreError(f"{as_of!r} is neither a batch in the store ({len(ordered)} sealed batches; "
                         f"--list shows them) nor a timestamp")
    return [m for m in ordered if m.extracted_at <= moment]


def _chosen(store: BronzeStore, as_of: str) -> list[Manifest]:
    chosen = select(store.manifests(), as_of, store.superseded())
    if not chosen:
        raise StoreError(f"no batch in the store was extracted at or before {as_of!r}")
    return chosen


def replay(store: BronzeStore, writer, as_of: str, *, work_dir: Path | None = None) -> ReplayReport:
    """Land every batch up to ``as_of`` into ``writer``'s (empty) warehouse: rows, then state and audit.

    ``writer`` needs ``restore_rows(table, reader)``, ``save_state(state)`` and ``record(audit)``.
    """
    chosen = _chosen(store, as_of)
    with tempfile.TemporaryDirectory(prefix="replay-", dir=work_dir) as tmp:
        return _land(writer, as_of, ((m, a, lambda m=m, a=a: store.fetch(m, a, Path(tmp)))
                                     for m in chosen for a in m.files), chosen)


def _land(writer, as_of: str, files, chosen: list[Manifest]) -> ReplayReport:
    """Land ``files`` ((manifest, archived file, fetch() -> local path) in landing order), then each replayed
    batch's audit row and each object's state as its last replayed batch committed it."""
    report = ReplayReport(as_of)
    states: dict[tuple[str, str], ObjectState] = {}
    for manifest, archived, fetch in files:
        local = fetch()
        landed = writer.restore_rows(archived.table, iter_parquet(local))
        local.unlink()
        if landed != archived.rows:
            raise StoreError(f"batch {manifest.batch_id}: {archived.name} re-landed {landed} rows, "
                             f"the manifest says {archived.rows}")
        report.rows[archived.table] = report.rows.get(archived.table, 0) + landed
    for manifest in chosen:
        writer.record(manifest.batch_audit())
        state = manifest.object_state()
        if state is not None:
            # the window keys (state.salesforce_window_keys) are not archived: rebuilt from bronze next run
            states[(state.source, state.object_name)] = state.with_(window_keyed=False)
        report.batches.append(manifest.batch_id)
    for state in states.values():
        writer.save_state(state)
        report.objects[f"{state.source}.{state.object_name}"] = state.cursor_value
    log.info("replayed %d batches as of %s: %d rows into %d bronze tables", len(report.batches), as_of,
             report.total_rows, len(report.rows))
    return report


def replay_in_place(store: BronzeStore, writer, as_of: str, *, work_dir: Path | None = None) -> ReplayReport:
    """Rebuild the warehouse ``writer`` is connected to (PostgreSQL, Snowflake) as of ``as_of``, in place.

    Pending manifests of batches it committed are sealed first; then every file of the chosen batches is fetched
    and verified (sha256, row count) before the warehouse is touched, so a missing or corrupt file stops the replay
    with the warehouse as it was. Then ``writer.rebuild_in_place`` moves bronze's tables, the objects' state, the
    window keys and the batch audit into ``replay_backup_<time>`` and lands the batches into fresh ones
    (PostgreSQL: one transaction; Snowflake: clones first, put back on failure). The org table and the open
    Bulk jobs stay as they are. The later batches are superseded in the store as the DuckDB replay does.
    """
    store.complete(writer.batch_statuses)
    chosen = _chosen(store, as_of)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    backup = f"replay_backup_{stamp.lower()}"
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="replay-", dir=work_dir) as tmp:
        fetched = [(m, a, store.fetch(m, a, Path(tmp))) for m in chosen for a in m.files]
        replayed = {m.batch_id for m in chosen}
        later = [m.batch_id for m in store.manifests() if m.batch_id not in replayed]
        marked = False

        def rebuild() -> ReplayReport:
            nonlocal marked
            report = _land(writer, as_of, ((m, a, lambda p=p: p) for m, a, p in fetched), chosen)
            # the batches after the point leave the warehouse's history (written last: undone if the commit fails)
            store.supersede(later, as_of, stamp)
            marked = bool(later)
            return report
        try:
            report = writer.rebuild_in_place(backup, rebuild)
        except BaseException:
            if marked:
                store.unsupersede(stamp)
            raise
    report.kept = backup
    log.warning("the warehouse's bronze, state and audit as they were are kept in schema %s", backup)
    return report


def replay_duckdb(store: BronzeStore, warehouse: Path, as_of: str, *, into: Path | None = None) -> ReplayReport:
    """Rebuild ``warehouse`` (or build ``into``, a new file) from the store as of ``as_of``."""
    from extract.warehouse.duckdb_bronze import DuckDBBronzeWriter

    if into is not None and into.exists():
        raise FileExistsError(f"{into} exists: replay builds a new warehouse, it never writes into one")
    if into is None and warehouse.exists():
        with DuckDBBronzeWriter(warehouse) as current:
            store.complete(current.batch_statuses)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = into or warehouse.with_name(f"{warehouse.name}.replay-{stamp}")
    try:
        with DuckDBBronzeWriter(target) as writer:
            report = replay(store, writer, as_of, work_dir=target.parent)
            if into is None and warehouse.exists():
                _carry_over(writer, warehouse)
        if into is None:
            # the batches after the point leave the warehouse's history: the next runs land their rows again
            replayed = set(report.batches)
            store.supersede([m.batch_id for m in store.manifests() if m.batch_id not in replayed], as_of, stamp)
    except BaseException:
        for leftover in (target, target.with_name(target.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    if into is None:
        if warehouse.exists():
            aside = warehouse.with_name(f"{warehouse.name}.before-replay-{stamp}")
            warehouse.rename(aside)
            wal = warehouse.with_name(warehouse.name + ".wal")
            if wal.exists():
                wal.rename(aside.with_name(aside.name + ".wal"))
            log.warning("the warehouse as it was is kept in %s", aside)
            report.kept = str(aside)
        target.rename(warehouse)
    return report


def _carry_over(writer, warehouse: Path) -> None:
    """The org table and the open Bulk jobs are not history: the rebuilt file keeps the warehouse's."""
    writer.execute(f"attach {quote_literal(str(warehouse))} as _before (read_only)")
    try:
        for table in CARRIED_OVER:
            writer.execute(f"insert into state.{table} select * from _before.state.{table}")
        for table in KEPT_BRONZE_TABLES:  # each object's latest describe: no batch carries it
            if writer.query("select count(*) from duckdb_tables() where database_name = '_before' "
                            "and schema_name = 'bronze' and table_name = ?", [table])[0][0]:
                writer.execute(f"create or replace table bronze.{table} as select * from _before.bronze.{table}")
    finally:
        writer.execute("detach _before")


def _table_of(name: str) -> str:
    source, object_name = name.split(".", 1)
    return bronze_table_name(object_name, source)


def print_batches(store: BronzeStore, out=sys.stdout) -> None:
    manifests = store.manifests()
    print(f"{len(manifests)} sealed batches in {store!r} (replay --as-of takes a batch id or a timestamp)", file=out)
    for m in manifests:
        print(f"{m.extracted_at.isoformat(sep=' ')}  {m.batch_id:<48} {m.source}.{m.object:<24} {m.kind:<16} "
              f"{m.rows:>9} rows  cursor {m.cursor_from or '-'} -> {m.cursor_to or '-'}", file=out)


def run(store: BronzeStore, warehouse, as_of: str | None, into: Path | None, list_only: bool) -> int:
    """The command's body, for this module's ``main`` and for scripts/replay.py (which builds the store).

    ``warehouse``: a DuckDB file, or a WarehouseTarget (extract.warehouse) of any kind: a PostgreSQL or Snowflake
    one is rebuilt in place through its writer (``replay_in_place``); ``into`` always builds a new DuckDB file."""
    from extract.warehouse import WarehouseTarget, open_bronze_writer

    if isinstance(warehouse, WarehouseTarget) and warehouse.kind in ("local", "duckdb"):
        warehouse = Path(warehouse.duckdb_path)
    started = time.monotonic()
    try:
        if list_only or not as_of:
            print_batches(store)
            return 0
        if isinstance(warehouse, Path) or into is not None:
            report = replay_duckdb(store, warehouse if isinstance(warehouse, Path) else Path(), as_of, into=into)
            where = into or warehouse
        else:
            with open_bronze_writer(warehouse) as writer:
                report = replay_in_place(store, writer, as_of, work_dir=store.work_dir)
            where = f"{warehouse.kind} database {warehouse.database}"
    except (StoreError, FileExistsError) as error:
        print(f"replay failed: {error}", file=sys.stderr)
        return 2
    print(f"replayed {len(report.batches)} batches as of {as_of} into {where} in {time.monotonic() - started:.1f}s: "
          f"{report.total_rows} rows in {len(report.rows)} bronze tables, {len(report.objects)} objects' cursors")
    shown = sorted(report.objects.items())
    for name, cursor in shown[:10]:
        print(f"  {name}: cursor {cursor}, {report.rows.get(_table_of(name), 0)} rows")
    if len(shown) > 10:
        print(f"  ... and {len(shown) - 10} more objects")
    if report.kept:
        print(f"the warehouse as it was is kept in {report.kept}")
    print("rebuild silver and gold from it with dbt (make run runs the whole DAG on it)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m extract.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True, help="the bronze store's URL (a folder, s3://..., memory://...)")
    parser.add_argument("--duckdb", required=True, type=Path, help="the DuckDB warehouse to rebuild")
    parser.add_argument("--as-of", help="a batch id or a timestamp (UTC unless it has an offset)")
    parser.add_argument("--into", type=Path, help="build this new warehouse file instead of rebuilding --duckdb")
    parser.add_argument("--list", action="store_true", help="list the sealed batches and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    return run(BronzeStore.from_url(args.store), args.duckdb, args.as_of, args.into, args.list)


if __name__ == "__main__":
    sys.exit(main())
