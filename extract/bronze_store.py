"""Every landed batch kept as files in an object store: a local folder, S3, or any fsspec filesystem.

A batch is archived as what it LANDED (its rows in bronze, read back from the warehouse inside its own open
transaction, so rows deduplicated away are not there), one zstd Parquet file per bronze table it wrote, under

    <root>/<source>/<object>/dt=YYYY-MM-DD/<batch_id>/<bronze table>.parquet + manifest.json

The manifest names the batch (source, object, kind, extracted_at, cursor range), its files (rows, bytes, sha256,
columns), the object's state and the audit row the batch committed. Crash safety, in three steps:

1. ``stage``: the files, and the manifest as ``<root>/_pending/<batch_id>.json``, are written while the batch is
   open (a failure here fails the batch: the warehouse never holds a batch the store lacks);
2. the warehouse commits the batch (rows, cursor, audit row);
3. ``seal``: ``manifest.json`` is written and the pending one removed.

Only a sealed manifest counts (``manifests``): a crash before step 2 leaves files nobody reads, a crash between 2
and 3 a pending manifest that ``complete`` seals once the warehouse's audit says the batch succeeded (and removes
once it says it failed). The store is thus never ahead of the warehouse and, after ``complete``, never behind it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import posixpath
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from extract.warehouse.bronze import Batch, BatchAudit, ObjectState

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SUPERSEDED_DIR = "_superseded"  # <root>/_superseded/<time>.json: batches an in-place replay took off the history
PENDING_DIR = "_pending"  # <root>/_pending/<batch_id>.json: staged, not sealed (kept apart: complete() lists only it)
FORMAT_VERSION = 1
_CHUNK = 1 << 20
_STATE_TIMES = ("last_extracted_at", "last_reconciled_at", "last_formula_refresh_at")
_AUDIT_TIMES = ("started_at", "finished_at", "extracted_at")


class StoreError(Exception):
    """The store cannot give what a manifest promises: a file missing, corrupt, or a manifest unreadable."""


@dataclass(frozen=True)
class ArchivedFile:
    name: str  # relative to the batch's prefix
    table: str  # the bronze table its rows belong to
    rows: int
    bytes: int
    sha256: str
    columns: tuple[tuple[str, str], ...]  # (name, Arrow type)


@dataclass(frozen=True)
class Manifest:
    source: str
    object: str
    kind: str
    batch_id: str
    extracted_at: datetime
    cursor_field: str | None
    cursor_from: str | None
    cursor_to: str | None
    rows: int
    files: tuple[ArchivedFile, ...]
    state: dict | None  # the ObjectState committed with the batch (datetimes as ISO text)
    audit: dict  # the audit row committed with the batch (datetimes as ISO text)
    dag_run_id: str | None = None
    format_version: int = FORMAT_VERSION
    prefix: str = field(default="", compare=False)  # where it was read from (not written)

    @property
    def order(self) -> tuple[datetime, str]:
        return self.extracted_at, self.batch_id

    def to_json(self) -> bytes:
        data = asdict(self)
        data.pop("prefix")
        data["extracted_at"] = self.extracted_at.isoformat()
        data["files"] = [{**f, "columns": [list(c) for c in f["columns"]]} for f in data["files"]]
        return json.dumps(data, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes, prefix: str = "") -> "Manifest":
        data = json.loads(raw)
        if data.get("format_version") != FORMAT_VERSION:
            raise StoreError(f"{prefix}: manifest format {data.get('format_version')!r} is not {FORMAT_VERSION}")
        data["extracted_at"] = datetime.fromisoformat(data["extracted_at"])
        data["files"] = tuple(ArchivedFile(**{**f, "columns": tuple(tuple(c) for c in f["columns"])})
                              for f in data["files"])
        return cls(**data, prefix=prefix)

    def object_state(self) -> ObjectState | None:
        if self.state is None:
            return None
        return ObjectState(**_parse_times(self.state, _STATE_TIMES))

    def batch_audit(self) -> BatchAudit:
        return BatchAudit(**_parse_times(self.audit, _AUDIT_TIMES))


def _iso_times(data: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in data.items()}


def _parse_times(data: dict, names: tuple[str, ...]) -> dict:
    return {k: datetime.fromisoformat(v) if k in names and v else v for k, v in data.items()}


class BronzeStore:
    """Batches archived under ``root`` of the fsspec filesystem ``fs`` (local, memory, s3, gcs, ...)."""

    def __init__(self, fs: fsspec.AbstractFileSystem, root: str, *, work_dir: Path | None = None,
                 rows_per_group: int = 100_000):
        self.fs = fs
        self.root = root.rstrip("/") or "/"
        self.work_dir = work_dir  # where a file waits between the warehouse and the store
        self.rows_per_group = rows_per_group

    @classmethod
    def from_url(cls, url: str, *, work_dir: Path | None = None, **storage_options) -> "BronzeStore":
        """``/path``, ``file:///path``, ``s3://bucket/prefix``, ``memory://name``: any URL fsspec knows."""
        fs, root = fsspec.core.url_to_fs(url, **storage_options)
        return cls(fs, root, work_dir=work_dir)

    def __repr__(self) -> str:
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return f"BronzeStore({protocol}://{self.root.lstrip('/') if protocol != 'file' else self.root})"

    def batch_prefix(self, source: str, object_name: str, batch_id: str, extracted_at: datetime) -> str:
        for part in (source, object_name, batch_id):
            if not part or "/" in part or part.startswith((".", "_")):
                raise ValueError(f"cannot name a store prefix after {part!r}")
        return posixpath.join(self.root, source, object_name, f"dt={extracted_at:%Y-%m-%d}", batch_id)

    # --- writing: stage (batch open), seal (batch committed) -------------------------------------------------
    def stage(self, writer, batch: Batch, audit: BatchAudit, state: ObjectState | None) -> Manifest:
        """Write what the open batch landed (``writer.landed_rows``) and its pending manifest."""
        prefix = self.batch_prefix(batch.source, batch.object_name, batch.batch_id, batch.extracted_at)
        files: list[ArchivedFile] = []
        try:
            self.fs.makedirs(prefix, exist_ok=True)
            self.fs.makedirs(posixpath.join(self.root, PENDING_DIR), exist_ok=True)
            if self.work_dir is not None:
                self.work_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="bronze-store-", dir=self.work_dir) as tmp:
                for table, reader in writer.landed_rows(batch):
                    local = Path(tmp) / f"{table}.parquet"
                    rows = self._write_parquet(reader, local)
                    if rows == 0:
                        continue
                    digest, size = _sha256_file(local)
                    self.fs.put_file(str(local), posixpath.join(prefix, local.name))
                    files.append(ArchivedFile(local.name, table, rows, size, digest, tuple(
                        (f.name, str(f.type)) for f in pq.read_schema(local))))
                    local.unlink()
            audit_data = _iso_times(asdict(audit))
            audit_data["status"] = "succeeded"  # a manifest is sealed only for a committed batch
            manifest = Manifest(
                source=batch.source, object=batch.object_name, kind=batch.kind, batch_id=batch.batch_id,
                extracted_at=batch.extracted_at, cursor_field=batch.cursor_field, cursor_from=audit.cursor_from,
                cursor_to=audit.cursor_to, rows=sum(f.rows for f in files), files=tuple(files),
                state=None if state is None else _iso_times(asdict(state)), audit=audit_data,
                dag_run_id=batch.dag_run_id, prefix=prefix)
            self._put_atomically(self._pending_path(batch.batch_id), manifest.to_json())
        except BaseException:
            self._discard(prefix)
            raise
        return manifest

    def seal(self, manifest: Manifest) -> None:
        """The batch committed: its manifest now counts."""
        self._put_atomically(posixpath.join(manifest.prefix, MANIFEST), manifest.to_json())
        self.fs.rm_file(self._pending_path(manifest.batch_id))

    def seal_or_warn(self, manifest: Manifest) -> bool:
        """``seal``, never raising: a committed batch is sealed by ``complete`` later if this fails."""
        try:
            self.seal(manifest)
            return True
        except Exception as error:
            log.warning("batch %s committed but its manifest could not be written (%s: %s); the next run's "
                        "complete() writes it", manifest.batch_id, type(error).__name__, error)
            return False

    def complete(self, statuses: Callable[[list[str]], dict[str, str]]) -> dict[str, list[str]]:
        """Seal the pending manifests of batches the warehouse committed; remove those of batches it failed.

        ``statuses(batch_ids)`` gives the audit status of each batch the warehouse knows (a writer's
        ``batch_statuses``). A batch it does not know yet (open, or killed before its commit) is left alone.
        """
        done: dict[str, list[str]] = {"sealed": [], "discarded": [], "left": []}
        pending = self.pending()
        if not pending:
            return done
        known = statuses(pending)
        for batch_id in pending:
            status = known.get(batch_id)
            if status is None:
                done["left"].append(batch_id)
                continue
            manifest = Manifest.from_json(self.fs.cat_file(self._pending_path(batch_id)))
            prefix = self.batch_prefix(manifest.source, manifest.object, batch_id, manifest.extracted_at)
            if status == "succeeded":
                self.seal(Manifest.from_json(manifest.to_json(), prefix))
                done["sealed"].append(batch_id)
            else:
                self._discard(prefix)
                self.fs.rm_file(self._pending_path(batch_id))
                done["discarded"].append(batch_id)
        if done["sealed"] or done["discarded"]:
            log.warning("bronze store %r: sealed %d committed batches, removed %d failed ones", self,
                        len(done["sealed"]), len(done["discarded"]))
        return done

    # --- reading -----------------------------------------------------------------------------------------------
    def pending(self) -> list[str]:
        """The batches staged and not sealed: open now, killed before their commit, or committed and unsealed."""
        directory = posixpath.join(self.root, PENDING_DIR)
        if not self.fs.exists(directory):
            return []
        return sorted(posixpath.basename(p)[:-len(".json")] for p in self.fs.ls(directory, detail=False)
                      if p.endswith(".json"))

    def superseded(self) -> dict[str, str]:
        """Batches taken off the warehouse's history by an in-place replay -> which replay (its marker file)."""
        directory = posixpath.join(self.root, SUPERSEDED_DIR)
        if not self.fs.exists(directory):
            return {}
        taken: dict[str, str] = {}
        for path in sorted(self.fs.ls(directory, detail=False)):
            if path.endswith(".json"):
                taken.update(dict.fromkeys(json.loads(self.fs.cat_file(path))["batches"], posixpath.basename(path)))
        return taken

    def supersede(self, batch_ids: list[str], as_of: str, stamp: str) -> None:
        """Record that the warehouse was replayed as of ``as_of``: these later batches are no longer its history
        (their files stay; ``manifests`` leaves them out, so the batches that re-land their rows are not doubled)."""
        if not batch_ids:
            return
        self.fs.makedirs(posixpath.join(self.root, SUPERSEDED_DIR), exist_ok=True)
        self._put_atomically(posixpath.join(self.root, SUPERSEDED_DIR, f"{stamp}.json"), json.dumps(
            {"replayed_as_of": as_of, "batches": sorted(batch_ids)}, indent=1).encode())

    def unsupersede(self, stamp: str) -> None:
        """Undo ``supersede`` (the replay that wrote it did not commit)."""
        path = posixpath.join(self.root, SUPERSEDED_DIR, f"{stamp}.json")
        if self.fs.exists(path):
            self.fs.rm_file(path)

    def manifests(self, *, include_superseded: bool = False) -> list[Manifest]:
        """Every sealed manifest, in landing order (extracted_at, batch_id), less superseded batches."""
        found = []
        superseded = {} if include_superseded else self.superseded()
        for path in self.fs.glob(posixpath.join(self.root, "*", "*", "dt=*", "*", MANIFEST)):
            prefix = posixpath.dirname(path)
            if posixpath.basename(prefix) in superseded:
                continue
            try:
                manifest = Manifest.from_json(self.fs.cat_file(path), prefix)
            except (ValueError, TypeError, KeyError) as error:
                raise StoreError(f"{path}: unreadable manifest ({type(error).__name__}: {error})") from None
            if manifest.batch_id != posixpath.basename(prefix):
                raise StoreError(f"{path}: manifest of batch {manifest.batch_id} under another batch's prefix")
            found.append(manifest)
        return sorted(found, key=lambda m: m.order)

    def fetch(self, manifest: Manifest, archived: ArchivedFile, directory: Path) -> Path:
        """Copy one file of a batch to ``directory``, verifying its checksum and row count (StoreError if not)."""
        source = posixpath.join(manifest.prefix, archived.name)
        target = directory / f"{manifest.batch_id}-{archived.name}"
        digest = hashlib.sha256()
        try:
            with self.fs.open(source, "rb") as src, target.open("wb") as out:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
        except FileNotFoundError:
            raise StoreError(f"batch {manifest.batch_id}: {source} is missing from the store") from None
        if digest.hexdigest() != archived.sha256:
            target.unlink(missing_ok=True)
            raise StoreError(f"batch {manifest.batch_id}: {source} is corrupt: its sha256 is {digest.hexdigest()}, "
                             f"the manifest says {archived.sha256}")
        try:
            rows = pq.ParquetFile(target).metadata.num_rows
        except pa.ArrowException as error:
            raise StoreError(f"batch {manifest.batch_id}: {source} is not a Parquet file: {error}") from None
        if rows != archived.rows:
            raise StoreError(f"batch {manifest.batch_id}: {source} holds {rows} rows, the manifest says "
                             f"{archived.rows}")
        return target

    # --- internals ---------------------------------------------------------------------------------------------
    def _pending_path(self, batch_id: str) -> str:
        return posixpath.join(self.root, PENDING_DIR, f"{batch_id}.json")

    def _write_parquet(self, reader: pa.RecordBatchReader, path: Path) -> int:
        rows = 0
        writer = None
        try:
            for chunk in reader:
                if chunk.num_rows == 0:
                    continue
                if writer is None:
                    writer = pq.ParquetWriter(path, reader.schema, compression="zstd")
                writer.write_batch(chunk, row_group_size=self.rows_per_group)
                rows += chunk.num_rows
        finally:
            if writer is not None:
                writer.close()
        return rows

    def _put_atomically(self, path: str, data: bytes) -> None:
        """A whole file or none: written aside, then renamed (a single PUT on object stores)."""
        aside = path + ".tmp"
        self.fs.pipe_file(aside, data)
        self.fs.mv(aside, path)

    def _discard(self, prefix: str) -> None:
        try:
            if self.fs.exists(prefix):
                self.fs.rm(prefix, recursive=True)
        except Exception as error:  # garbage only: never counted (no sealed manifest)
            log.warning("could not remove %s from the bronze store: %s", prefix, error)


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest(), path.stat().st_size


def iter_parquet(path: Path, batch_rows: int = 50_000) -> pa.RecordBatchReader:
    """A Parquet file as a stream of record batches (what a writer's ``restore_rows`` reads)."""
    parquet = pq.ParquetFile(path)
    return pa.RecordBatchReader.from_batches(parquet.schema_arrow, parquet.iter_batches(batch_size=batch_rows))
