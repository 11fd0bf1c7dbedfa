"""Parse every DAG file the way Airflow's dag-processor does and print what was found, as JSON.

Run in a subprocess by test_dag_parsing.py so the parse sees no connections and a throwaway AIRFLOW_HOME.
"""

import json
import sys
import time
from pathlib import Path

from airflow.dag_processing.dagbag import BundleDagBag

dags_folder = Path(sys.argv[1])
started = time.perf_counter()
bag = BundleDagBag(dag_folder=str(dags_folder), bundle_path=dags_folder)
seconds = time.perf_counter() - started
out = {"import_errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "seconds": seconds, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "tasks": {t.task_id: {"upstream": sorted(t.upstream_task_ids), "trigger_rule": getattr(t.trigger_rule, "value", str(t.trigger_rule)),
                              "retries": t.retries, "pool": t.pool,
                              "exponential_backoff": bool(getattr(t, "retry_exponential_backoff", False)),
                              "type": type(t).__name__,
                              "dbt_vars": getattr(t, "vars", None),
                              "mapped": type(t).__name__ == "MappedOperator" or hasattr(t, "expand_input")}
                  for t in dag.tasks},
    }
print(json.dumps(out))
