"""The relational ERP's tables as extraction sees them: key, watermark column, soft deletes.

A table whose primary key has several columns (``price_list_items``) lands with one more column, ``row_key`` (the
key columns' text joined by ``:``), so a change is deduplicated on one key with its cursor like every other table.
"""

from __future__ import annotations

from dataclasses import dataclass

CURSOR = "modified_at"  # naive UTC TIMESTAMP, whole seconds, moved on every change (soft deletes included)
ROW_KEY = "row_key"


@dataclass(frozen=True)
class ErpTable:
    name: str
    key: tuple[str, ...]
    soft_delete: bool = False  # is_deleted / deleted_at: a deleted row stays and lands as a change

    @property
    def key_field(self) -> str:
        return self.key[0] if len(self.key) == 1 else ROW_KEY


TABLES: tuple[ErpTable, ...] = (
    ErpTable("customers", ("customer_id",), soft_delete=True),
    ErpTable("customer_contacts", ("contact_id",), soft_delete=True),
    ErpTable("items", ("item_id",)),
    ErpTable("price_lists", ("price_list_id",)),
    ErpTable("price_list_items", ("price_list_id", "item_id")),
    ErpTable("sales_orders", ("order_id",), soft_delete=True),
    ErpTable("sales_order_lines", ("order_line_id",)),
    ErpTable("invoices", ("invoice_id",), soft_delete=True),
    ErpTable("invoice_lines", ("invoice_line_id",)),
)
BY_NAME = {table.name: table for table in TABLES}


def table(name: str) -> ErpTable:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown ERP table {name!r}; known: {', '.join(BY_NAME)}") from None
