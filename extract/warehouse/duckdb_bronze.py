"""Bronze, extraction state and extraction audit in one DuckDB file (the embedded default).

The landing semantics live in sql_bronze.SqlBronzeWriter; this module says how DuckDB does the hooks: result pages
are read where they lie with ``read_csv`` (a full extraction inserts straight from it, no staging copy), one
process writes the file at a time (the DAG's ``duckdb_writer`` pool), and a cursor of the same connection commits
Bulk job ids apart from the open batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from extract.warehouse.bronze import Batch
from extract.warehouse.sql_bronze import SqlBronzeWriter, quote_ident, quote_literal

__all__ = ["DuckDBBronzeWriter", "quote_ident", "quote_literal"]


class DuckDBBronzeWriter(SqlBronzeWriter):
    def __init__(self, path: Path, memory_limit: str = "256MB", threads: int = 2):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.con = duckdb.connect(str(path), config={
            "memory_limit": memory_limit, "threads": threads, "preserve_insertion_order": True,
        })
        self.con.execute("set enable_progress_bar = false")
        super().__init__()

    def close(self) -> None:
        self.con.close()

    # --- hooks -------------------------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence = ()):
        return self.con.execute(sql, list(params)) if params else self.con.execute(sql)

    def _count(self, sql: str, params: Sequence = ()) -> int:
        return int(self._execute(sql, params).fetchone()[0])

    def _autonomous(self, sql: str, params: Sequence = ()) -> None:
        cursor = self.con.cursor()  # its own transaction: commits although a batch is open on self.con
        try:
            cursor.execute(sql, list(params))
        finally:
            cursor.close()

    def _rollback_quietly(self) -> None:
        try:
            self.con.execute("rollback")
        except duckdb.Error:
            pass  # nothing was open

    _bronze_columns_sql = ("select table_name, column_name from duckdb_columns() where schema_name = 'bronze' "
                           "and database_name = current_database() order by table_name, column_index")

    def _latest_per_id(self, columns: str, table: str, where: str, order: str) -> str:
        return (f"select {columns} from {table} where {where} "
                f"qualify row_number() over (partition by id order by {order}) = 1")

    def _create_temp(self, name: str, columns: Sequence[str]) -> None:
        cols = ", ".join(f"{quote_ident(c)} varchar" for c in columns)
        self.con.execute(f"create or replace temp table {name} ({cols})")

    def _copy_into(self, name: str, batch: Batch, page: Path, columns: Sequence[str]) -> int:
        return self._count(f"insert into {name} select * from {self._read_csv(page, columns)}")

    def _page_source(self, batch: Batch, page: Path, columns: Sequence[str]) -> str:
        return self._read_csv(page, columns)

    @staticmethod
    def _read_csv(page: Path, columns: Sequence[str]) -> str:
        """The read_csv(...) of one result page (its header already checked against ``columns``)."""
        struct = "{" + ", ".join(f"{quote_literal(c.lower())}: 'VARCHAR'" for c in columns) + "}"
        return (f"read_csv({quote_literal(str(page))}, header=true, auto_detect=false, columns={struct}, "
                f"delim=',', quote='\"', escape='\"', strict_mode=true, parallel=false)")

    def _csv(self, batch: Batch, page: Path, columns: tuple[str, ...]) -> str:
        """The read_csv(...) of a page whose header must be ``columns``; "" for an empty page (tests use it)."""
        return self._read_csv(page, columns) if self._check_header(batch, page, columns) else ""
