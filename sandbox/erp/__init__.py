"""The simulated ERP: a relational database (DuckDB or PostgreSQL), flat-file drops and a paged REST API."""
