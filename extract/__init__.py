"""Thin extractors: land raw Salesforce (and later ERP) data into bronze tables, with batch metadata and audit."""
