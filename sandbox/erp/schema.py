"""The ERP's tables: one DDL for both backends (DuckDB and PostgreSQL accept the same types).

Keys: every table has a surrogate integer primary key plus the business key a real ERP shows its users
(``customer_number``, ``sku``, ``order_number``, ``invoice_number``). Mutable tables carry ``created_at`` and
``modified_at`` (the watermark column for incremental extraction); customers, contacts, orders and invoices are
soft-deleted (``is_deleted``, ``deleted_at``), never removed. The REST API's data lives in schema ``api``.
"""

from __future__ import annotations

AUDIT = "created_at TIMESTAMP NOT NULL, modified_at TIMESTAMP NOT NULL"
SOFT_DELETE = "is_deleted BOOLEAN NOT NULL DEFAULT FALSE, deleted_at TIMESTAMP"

TABLES: dict[str, str] = {
    "erp_settings": "key VARCHAR(40) PRIMARY KEY, value VARCHAR(200) NOT NULL",
    "customers": f"""
        customer_id INTEGER PRIMARY KEY, customer_number VARCHAR(40) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL,
        billing_street VARCHAR(300), billing_city VARCHAR(100), billing_state VARCHAR(100),
        billing_postal_code VARCHAR(20), billing_country VARCHAR(100), currency VARCHAR(3) NOT NULL,
        payment_terms VARCHAR(20) NOT NULL, credit_limit DECIMAL(18, 2), tax_id VARCHAR(40),
        {AUDIT}, {SOFT_DELETE}""",
    "customer_contacts": f"""
        contact_id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers (customer_id),
        first_name VARCHAR(100), last_name VARCHAR(100) NOT NULL, email VARCHAR(200), phone VARCHAR(40),
        role VARCHAR(40), is_primary BOOLEAN NOT NULL, {AUDIT}, {SOFT_DELETE}""",
    "items": f"""
        item_id INTEGER PRIMARY KEY, sku VARCHAR(40) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL,
        family VARCHAR(20) NOT NULL, unit_of_measure VARCHAR(10) NOT NULL, list_price DECIMAL(18, 2) NOT NULL,
        is_active BOOLEAN NOT NULL, {AUDIT}""",
    "price_lists": f"""
        price_list_id INTEGER PRIMARY KEY, code VARCHAR(40) NOT NULL UNIQUE, name VARCHAR(200) NOT NULL,
        currency VARCHAR(3) NOT NULL, valid_from DATE NOT NULL, valid_to DATE, {AUDIT}""",
    "price_list_items": f"""
        price_list_id INTEGER NOT NULL REFERENCES price_lists (price_list_id),
        item_id INTEGER NOT NULL REFERENCES items (item_id), unit_price DECIMAL(18, 2) NOT NULL, {AUDIT},
        PRIMARY KEY (price_list_id, item_id)""",
    "sales_orders": f"""
        order_id INTEGER PRIMARY KEY, order_number VARCHAR(40) NOT NULL UNIQUE,
        customer_id INTEGER NOT NULL REFERENCES customers (customer_id), order_date DATE NOT NULL,
        status VARCHAR(20) NOT NULL, currency VARCHAR(3) NOT NULL,
        price_list_id INTEGER REFERENCES price_lists (price_list_id), customer_po VARCHAR(40),
        subtotal DECIMAL(18, 2) NOT NULL, tax_amount DECIMAL(18, 2) NOT NULL, total_amount DECIMAL(18, 2) NOT NULL,
        {AUDIT}, {SOFT_DELETE}""",
    "sales_order_lines": f"""
        order_line_id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES sales_orders (order_id),
        line_number INTEGER NOT NULL, item_id INTEGER NOT NULL REFERENCES items (item_id),
        description VARCHAR(200), quantity DECIMAL(18, 3) NOT NULL, unit_price DECIMAL(18, 2) NOT NULL,
        discount_pct DECIMAL(5, 2) NOT NULL, line_amount DECIMAL(18, 2) NOT NULL, {AUDIT},
        UNIQUE (order_id, line_number)""",
    "invoices": f"""
        invoice_id INTEGER PRIMARY KEY, invoice_number VARCHAR(40) NOT NULL UNIQUE,
        order_id INTEGER REFERENCES sales_orders (order_id),
        customer_id INTEGER NOT NULL REFERENCES customers (customer_id), invoice_date DATE NOT NULL,
        due_date DATE NOT NULL, status VARCHAR(20) NOT NULL, currency VARCHAR(3) NOT NULL,
        subtotal DECIMAL(18, 2) NOT NULL, tax_amount DECIMAL(18, 2) NOT NULL, total_amount DECIMAL(18, 2) NOT NULL,
        amount_paid DECIMAL(18, 2) NOT NULL, {AUDIT}, {SOFT_DELETE}""",
    "invoice_lines": f"""
        invoice_line_id INTEGER PRIMARY KEY, invoice_id INTEGER NOT NULL REFERENCES invoices (invoice_id),
        line_number INTEGER NOT NULL, item_id INTEGER NOT NULL REFERENCES items (item_id),
        order_line_id INTEGER REFERENCES sales_order_lines (order_line_id), quantity DECIMAL(18, 3) NOT NULL,
        unit_price DECIMAL(18, 2) NOT NULL, discount_pct DECIMAL(5, 2) NOT NULL, line_amount DECIMAL(18, 2) NOT NULL,
        {AUDIT}, UNIQUE (invoice_id, line_number)""",
    "api.usage_events": """
        event_id VARCHAR(40) PRIMARY KEY, customer_number VARCHAR(40) NOT NULL, sku VARCHAR(40) NOT NULL,
        event_type VARCHAR(40) NOT NULL, quantity DECIMAL(18, 3) NOT NULL, occurred_at TIMESTAMP NOT NULL,
        received_at TIMESTAMP NOT NULL""",
    "api.payments": """
        payment_id VARCHAR(40) PRIMARY KEY, invoice_number VARCHAR(40) NOT NULL, customer_number VARCHAR(40) NOT NULL,
        amount DECIMAL(18, 2) NOT NULL, currency VARCHAR(3) NOT NULL, method VARCHAR(20) NOT NULL,
        status VARCHAR(20) NOT NULL, paid_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL""",
}

ERP_TABLES = [name for name in TABLES if name != "erp_settings" and not name.startswith("api.")]
API_TABLES = [name for name in TABLES if name.startswith("api.")]


def create_statements() -> list[str]:
    """``CREATE SCHEMA api`` then one ``CREATE TABLE`` per table, parents before children."""
    body = lambda ddl: " ".join(ddl.split())  # noqa: E731
    return ["CREATE SCHEMA IF NOT EXISTS api"] + [f"CREATE TABLE {name} ({body(ddl)})" for name, ddl in TABLES.items()]
