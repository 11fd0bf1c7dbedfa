"""Salesforce: login and every API call (client.py), describe, SOQL, change probes, REST and Bulk API 2.0 queries."""
