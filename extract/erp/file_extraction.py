"""Flat-file drops into bronze: each ready file landed once, its malformed records quarantined, then archived.

A file is taken only once its ``<name>.done`` marker exists (and, when the marker says them, its size and sha256
match: a file still being copied is left for the next run). Its sha256 is its identity: a file whose checksum has
landed before lands nothing (a re-drop), and is archived. Landing one file:

1. DuckDB parses it (drop_formats.py) into a page of good rows and a page of rejects;
2. the rejects land in ``bronze.erp_files__quarantine`` (file, line, reason, raw text), keyed by (sha256, line),
   so landing them again after a crash adds nothing;
3. the good rows land in ``bronze.erp_files__<kind>`` in one batch whose state is the file's ledger entry (object
   ``file:<sha256>`` of source ``erp_files``) and whose audit row says ``rows in = landed + quarantined``; the count
   is checked against the marker's ``records`` before the commit, and a mismatch fails the file (nothing lands);
4. the file and its marker move to the archive folder.

A crash between 3 and 4 leaves a landed file in the drop folder: the next run finds its checksum and archives it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from extract.erp.drop_formats import FORMATS, LINEAGE_COLUMNS, QUARANTINE_COLUMNS, DropFormat, format_for
from extract.erp.landing import BatchSpec, Observer, Page, run_batch, summarise
from extract.erp.options import FILES_SOURCE, ErpOptions
from extract.errors import ExtractError
from extract.object_extraction import _utcnow
from extract.warehouse.bronze import Batch, BatchAudit, DedupWindow, ObjectState

log = logging.getLogger(__name__)

DONE_SUFFIX = ".done"
QUARANTINE_OBJECT = "quarantine"  # bronze.erp_files__quarantine
LEDGER_PREFIX = "file:"  # state: object file:<sha256> of source erp_files = that file has landed


class DropFileError(ExtractError):
    """A dropped file does not add up (its marker, its checksum or its record count): nothing of it lands."""


@dataclass
class ReadyFile:
    path: Path
    format: DropFormat
    marker: dict = field(default_factory=dict)

    @property
    def done_marker(self) -> Path:
        return self.path.with_name(self.path.name + DONE_SUFFIX)


@dataclass
class ParsedDrop:
    records: int  # records the parser saw (good + rejected)
    good: Page | None
    quarantine: Page | None
    good_rows: int
    quarantined: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def ready_files(drop_dir: Path, formats: tuple[DropFormat, ...] = FORMATS) -> tuple[list[ReadyFile], list[str]]:
    """Files with a ``.done`` marker and a known format, in name order; and notes on what was left."""
    ready, notes = [], []
    for path in sorted(p for p in drop_dir.iterdir() if p.is_file() and not p.name.startswith(".")):
        if path.name.endswith(DONE_SUFFIX):
            continue
        fmt = format_for(path.name, formats)
        if fmt is None:
            notes.append(f"{path.name}: no known format, left alone")
            continue
        done = path.with_name(path.name + DONE_SUFFIX)
        if not done.exists():
            notes.append(f"{path.name}: no {done.name} yet, left for a later run")
            continue
        try:
            marker = json.loads(done.read_text() or "{}")
        except ValueError:
            marker = {}  # an empty or non-JSON marker only says "ready"
        ready.append(ReadyFile(path, fmt, marker if isinstance(marker, dict) else {}))
    return ready, notes


def parse_drop(ready: ReadyFile, sha256: str, directory: Path) -> ParsedDrop:
    """Parse with DuckDB into two CSV pages: good rows (bronze columns) and quarantined records."""
    import duckdb

    fmt, name = ready.format, ready.path.name
    good_path, quarantine_path = directory / "good.csv", directory / "quarantine.csv"
    con = duckdb.connect(config={"memory_limit": "256MB", "threads": 2, "preserve_insertion_order": True})
    try:
        con.execute("set enable_progress_bar = false")
        # rowid of `parsed` = the good record's position in the file (insertion order is preserved)
        con.execute(f"create table parsed as select * from {fmt.read_csv(ready.path)}")
        con.execute("""
            create table rejected as
            select line, string_agg(distinct error_type || ': ' || error_message, '; ') as reason,
                   trim(arg_min(csv_line, coalesce(column_idx, 0)), chr(13) || chr(10)) as raw_text
            from reject_errors group by line""")
        parsed = con.execute("select count(*) from parsed").fetchone()[0]
        rejected = con.execute("select count(*) from rejected").fetchone()[0]
        records = parsed + rejected
        # read_csv counts a record as one line, the header as line 1: records are lines 2 .. records + 1
        con.execute(f"""
            create table good_lines as
            select line, row_number() over (order by line) - 1 as position
            from (select unnest(range(2, {records + 2})) as line except select line from rejected)""")
        lines_left = con.execute("select count(*) from good_lines").fetchone()[0]
        if lines_left != parsed:
            raise DropFileError(f"{name}: the parser's reject lines do not fit its {records} records "
                                f"({lines_left} lines left for {parsed} good rows)")
        invalid = fmt.invalid_amounts("p")
        landed = ", ".join(f"{fmt.landed_expression(c, 'p')} as \"{b}\""
                           for c, b in zip(fmt.columns, fmt.bronze_columns))
        source = f"{_literal(name)} as {LINEAGE_COLUMNS[0]}, cast(g.line as varchar) as {LINEAGE_COLUMNS[1]}"
        good_rows = con.execute(f"""
            copy (select {landed}, {source} from parsed p join good_lines g on g.position = p.rowid
                  where {invalid} is null order by g.line)
            to {_literal(str(good_path))} (format csv, header true, delimiter ',', quote '"')""").fetchone()[0]
        quarantined = con.execute(f"""
            copy (
                select {_literal(sha256)} || ':' || line as quarantine_key, {_literal(name)} as file_name,
                       {_literal(fmt.kind)} as file_kind, {_literal(sha256)} as file_sha256,
                       cast(line as varchar) as line_number, reason, raw_text
                from (
                    select line, reason, raw_text from rejected
                    union all
                    select g.line, {invalid}, {_reconstructed(fmt)}
                    from parsed p join good_lines g on g.position = p.rowid where {invalid} is not null
                ) order by line
            ) to {_literal(str(quarantine_path))} (format csv, header true, delimiter ',', quote '"')""").fetchone()[0]
    finally:
        con.close()
    assert good_rows + quarantined == records, (good_rows, quarantined, records)

    def page(path: Path, rows: int, number: int) -> Page | None:
        return Page(path, rows, path.stat().st_size, number) if rows else None

    return ParsedDrop(records, page(good_path, good_rows, 1), page(quarantine_path, quarantined, 1), good_rows,
                      quarantined)


def _reconstructed(fmt: DropFormat) -> str:
    """SQL: a parsed record's fields joined by the file's delimiter (its raw text, as near as the parse allows)."""
    return f"concat_ws({_literal(fmt.delimiter)}, " + ", ".join(
        f"coalesce(cast(p.{_ident(c)} as varchar), '')" for c in fmt.columns) + ")"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _archive(ready: ReadyFile, archive_dir: Path, sha256: str) -> Path:
    """Move the file and its marker into the archive (a name taken by other content gets the checksum added)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    target = archive_dir / ready.path.name
    if target.exists() and sha256_of(target) != sha256:
        target = archive_dir / f"{ready.path.stem}.{sha256[:12]}{ready.path.suffix}"
    shutil.move(str(ready.path), target)
    if ready.done_marker.exists():
        shutil.move(str(ready.done_marker), target.with_name(target.name + DONE_SUFFIX))
    return target


def _archive_stray_markers(drop_dir: Path, archive_dir: Path) -> None:
    """A kill between _archive's two moves leaves a file's ``.done`` marker behind with its file archived: move
    such a marker after its file (a marker whose file is neither here nor archived is left alone)."""
    for marker in drop_dir.glob(f"*{DONE_SUFFIX}"):
        name = marker.name.removesuffix(DONE_SUFFIX)
        if not (drop_dir / name).exists() and (archive_dir / name).exists():
            shutil.move(str(marker), archive_dir / marker.name)
            log.info("%s: its file was archived by an earlier run; marker archived too", name)


def landed_checksums(writer) -> dict[str, ObjectState]:
    """sha256 -> the ledger entry of every file landed so far."""
    return {name.removeprefix(LEDGER_PREFIX): state for name, state in writer.object_states(FILES_SOURCE).items()
            if name.startswith(LEDGER_PREFIX)}


def land_file(writer, ready: ReadyFile, archive_dir: Path, options: ErpOptions | None = None, *,
              dag_run_id: str | None = None, observer: Observer | None = None,
              landed: dict[str, ObjectState] | None = None) -> list[BatchAudit]:
    """Land one ready file (or recognise it as landed before), then archive it. Returns its audit rows."""
    options = options or ErpOptions()
    fmt, name = ready.format, ready.path.name
    started = _utcnow()
    sha256 = sha256_of(ready.path)
    landed = landed_checksums(writer) if landed is None else landed
    if sha256 in landed:
        earlier = landed[sha256]
        audit = BatchAudit(
            batch_id=f"{FILES_SOURCE}-{fmt.kind}-file-{uuid.uuid4().hex[:12]}", source=FILES_SOURCE,
            object_name=fmt.kind, kind="file", status="unchanged", route="file", dag_run_id=dag_run_id,
            started_at=started, finished_at=_utcnow(), cursor_field="file", cursor_to=name,
            notes=f"{name}: sha256 {sha256} landed before (as {earlier.cursor_value}, batch "
                  f"{earlier.last_batch_id}): nothing landed; archived")
        writer.record(audit)
        _archive(ready, archive_dir, sha256)
        log.info("%s", audit.notes)
        return [audit]
    try:
        _check_marker(ready, sha256)
    except DropFileError as error:
        writer.record(BatchAudit(
            batch_id=f"{FILES_SOURCE}-{fmt.kind}-file-{uuid.uuid4().hex[:12]}", source=FILES_SOURCE,
            object_name=fmt.kind, kind="file", status="failed", route="file", dag_run_id=dag_run_id,
            started_at=started, finished_at=_utcnow(), cursor_field="file", cursor_to=name, error=str(error)))
        raise
    audits: list[BatchAudit] = []
    if options.work_dir is not None:
        options.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"extract-{FILES_SOURCE}-{fmt.kind}-", dir=options.work_dir,
                                     ignore_cleanup_errors=True) as tmp:
        parsed: ParsedDrop | None = None

        def parse() -> ParsedDrop:
            nonlocal parsed
            if parsed is None:
                parsed = parse_drop(ready, sha256, Path(tmp))
            return parsed

        if parse().quarantine is not None:
            audits.append(run_batch(
                writer, BatchSpec(FILES_SOURCE, QUARANTINE_OBJECT, "quarantine", "file", "quarantine_key",
                                  "file_sha256", dag_run_id),
                lambda _: (QUARANTINE_COLUMNS, [parse().quarantine]),
                lambda batch, page: writer.land_changes(batch, page.path, DedupWindow(None, None, None)),
                lambda batch, audit: _note(audit, f"{name}: {audit.rows_received} records quarantined"),
                work_dir=options.work_dir, observer=observer, store=options.bronze_store))

        def on_success(batch: Batch, audit: BatchAudit) -> ObjectState:
            result = parse()
            rows_in = int(ready.marker.get("records", result.records))
            if rows_in != result.good_rows + result.quarantined or audit.rows_landed != result.good_rows:
                raise DropFileError(
                    f"{name}: {rows_in} records in (marker) but {audit.rows_landed} landed + {result.quarantined} "
                    f"quarantined (the parser saw {result.records}): nothing of the file lands")
            audit.rows_received = rows_in
            audit.cursor_field, audit.cursor_to = "file", name
            audit.notes = (f"{name} (sha256 {sha256}): {rows_in} records in = {audit.rows_landed} landed + "
                           f"{result.quarantined} quarantined")
            return ObjectState(FILES_SOURCE, LEDGER_PREFIX + sha256, cursor_field="file_name", cursor_value=name,
                               last_batch_id=batch.batch_id, last_extracted_at=batch.extracted_at)

        audits.append(run_batch(
            writer, BatchSpec(FILES_SOURCE, fmt.kind, "file", "file", fmt.key_field, None, dag_run_id),
            lambda _: (fmt.bronze_columns, [parse().good] if parse().good else []),
            lambda batch, page: writer.land_changes(batch, page.path, None),
            on_success, work_dir=options.work_dir, observer=observer, store=options.bronze_store))
    landed[sha256] = ObjectState(FILES_SOURCE, LEDGER_PREFIX + sha256, cursor_value=name,
                                 last_batch_id=audits[-1].batch_id)
    if observer:
        observer("before_archive")
    _archive(ready, archive_dir, sha256)
    return audits


def _note(audit: BatchAudit, text: str) -> None:
    audit.notes = text
    return None


def _check_marker(ready: ReadyFile, sha256: str) -> None:
    expected_sha = ready.marker.get("sha256")
    expected_bytes = ready.marker.get("bytes")
    size = ready.path.stat().st_size
    if expected_sha and expected_sha != sha256 or expected_bytes is not None and int(expected_bytes) != size:
        raise DropFileError(f"{ready.path.name}: its marker announces {expected_bytes} bytes with sha256 "
                            f"{expected_sha}, the file has {size} bytes with sha256 {sha256} (still being copied, "
                            f"or damaged): left in place for a later run")


def extract_drops(writer, drop_dir: Path, archive_dir: Path | None = None, options: ErpOptions | None = None, *,
                  formats: tuple[DropFormat, ...] = FORMATS, dag_run_id: str | None = None,
                  observer: Observer | None = None) -> list[tuple[str, dict | BaseException]]:
    """Every ready file of the drop folder, oldest name first; one file's failure never stops the others."""
    drop_dir = Path(drop_dir)
    archive_dir = Path(archive_dir) if archive_dir else drop_dir / "archive"
    _archive_stray_markers(drop_dir, archive_dir)
    ready, notes = ready_files(drop_dir, formats)
    for note in notes:
        log.info("%s", note)
    landed = landed_checksums(writer)
    results: list[tuple[str, dict | BaseException]] = []
    for item in ready:
        try:
            audits = land_file(writer, item, archive_dir, options, dag_run_id=dag_run_id, observer=observer,
                               landed=landed)
            status = audits[-1].status
            # rows in = rows (landed) + quarantined: the file's batch, not the quarantine's
            results.append((item.path.name, {**summarise(FILES_SOURCE, item.format.kind, audits, status),
                                             "rows": audits[-1].rows_landed,
                                             "rows_received": audits[-1].rows_received, "file": item.path.name,
                                             "quarantined": sum(a.rows_received for a in audits
                                                                if a.kind == "quarantine")}))
        except Exception as error:
            log.error("%s: landing failed: %s: %s", item.path.name, type(error).__name__, error)
            results.append((item.path.name, error))
    return results
