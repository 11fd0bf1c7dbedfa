"""The simulated Salesforce org: data store, seed, SOQL, REST, Bulk API 2.0 and login endpoints."""
