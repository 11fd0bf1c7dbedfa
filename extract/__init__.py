"""The extraction library: Salesforce into bronze, with explicit inputs (credentials, a warehouse writer, options)
and no Airflow imports. The Airflow glue lives beside the DAG, in dags/medallion/."""
