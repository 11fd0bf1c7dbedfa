"""Extract the ERP into bronze, three ways, with the Salesforce extraction's landing contract (one transaction per
batch: rows, cursor, audit row) through any warehouse writer:

- ``database``/``tables``/``db_extraction``: the relational ERP (DuckDB file or PostgreSQL) by its ``modified_at``
  watermark, with a lookback overlap; soft deletes land as changes (``bronze.erp__<table>``);
- ``drop_formats``/``file_extraction``: flat-file drops (SAP-style invoices, NetSuite-style customers) taken once
  their ``.done`` marker exists, landed once by sha256, archived after; malformed records quarantined
  (``bronze.erp_files__<kind>``, ``bronze.erp_files__quarantine``);
- ``api_client``/``api_extraction``: the paged REST API (usage events by opaque cursor, payments by page number)
  incremental on the API's own timestamps (``bronze.erp_api__<resource>``).

No Airflow here: inputs are explicit values (see ``options.ErpOptions``); dags/medallion/erp_tasks.py is the glue.
"""
