"""Warehouses extraction lands into, behind one contract (bronze.py). DuckDB is the embedded default."""
