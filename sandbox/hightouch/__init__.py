"""A fake Hightouch API: what airflow-provider-hightouch 5.0 calls, performing each sync for real.

A sync reads its dbt model from the warehouse and applies it to the sandbox org as a Bulk API 2.0 job, exactly as a
Hightouch Salesforce destination would; every run is recorded with its planned, successful and failed rows.
"""
