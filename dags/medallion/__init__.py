"""Shared configuration and wiring for the medallion DAGs (kept out of DAG parsing by .airflowignore)."""
