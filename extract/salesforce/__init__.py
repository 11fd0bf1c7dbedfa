"""Salesforce: login through the Airflow connection, describe, Bulk API 2.0 query jobs streamed to disk."""
