"""`make run`: start the sandbox, run the salesforce_medallion DAG once through Airflow, stop, print a summary.

Everything local lives under .medallion/. When AIRFLOW_CONN_SALESFORCE_DEFAULT is already set, extraction reads
that org instead of the sandbox's (REQUESTS_CA_BUNDLE is honoured for its certificate), and the reverse sync runs
only if AIRFLOW_CONN_HIGHTOUCH_DEFAULT is set too: the sandbox never writes to an org it does not own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.local_env import airflow_env, ensure_airflow_db, start_sandbox  # noqa: E402

DAG_ID = "salesforce_medallion"


def print_summary(summary: dict, seconds: float) -> None:
    layers = summary["rows_per_layer"]
    print("\n== salesforce_medallion: " + summary["outcome"].upper() + f" in {seconds:.0f}s ==")
    print(f"rows per layer      bronze {layers['bronze']:>8}   silver {layers['silver']:>8}   gold {layers['gold']:>8}")
    print(f"quarantined rows    {summary['quarantined_rows']}")
    print(f"dbt tests passed    {summary['dbt_tests_passed']} of {summary['dbt_tests_total']}")
    print(f"records synced back {summary['records_synced']} (failed {summary['records_failed_to_sync']})")
    for sync in summary["syncs"]:
        print(f"  {sync['slug']}: run {sync['run_id']} {sync['status']}, {sync['successful_rows']} ok, "
              f"{sync['failed_rows']} failed")
    gold = {k: v for k, v in summary["rows_per_table"].items() if k.startswith("gold.")}
    print("gold tables         " + ", ".join(f"{k.removeprefix('gold.')}={v}" for k, v in gold.items()))
    if summary["tasks_failed"]:
        print("failed tasks        " + ", ".join(summary["tasks_failed"]))


def main() -> int:
    started = time.monotonic()
    state = Path(os.environ.get("MEDALLION_STATE_DIR", ROOT / ".medallion")).resolve()
    (state / "logs").mkdir(parents=True, exist_ok=True)
    env = airflow_env(ROOT, state)
    ensure_airflow_db(env, state)
    external_org = "AIRFLOW_CONN_SALESFORCE_DEFAULT" in os.environ
    sandbox = None
    if external_org:
        print("AIRFLOW_CONN_SALESFORCE_DEFAULT is set: extracting from that org, not the sandbox")
        if "AIRFLOW_CONN_HIGHTOUCH_DEFAULT" not in os.environ:
            print("AIRFLOW_CONN_HIGHTOUCH_DEFAULT is not set: the reverse sync is left out of this run")
            env["MEDALLION_REVERSE_SYNC"] = "off"
    else:
        sandbox = start_sandbox(ROOT, state, env)
        print(f"sandbox org at {sandbox.values['SALESFORCE_URL']}, Hightouch at {sandbox.values['HIGHTOUCH_URL']}")
    log_path = state / "logs" / f"{datetime.now():%Y%m%dT%H%M%S}-{DAG_ID}.log"
    try:
        print(f"running {DAG_ID} through Airflow (airflow dags test); log: {os.path.relpath(log_path, ROOT)}")
        with log_path.open("w") as log:
            code = subprocess.call(["airflow", "dags", "test", DAG_ID], env=env, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
    finally:
        if sandbox:
            sandbox.stop()
    from extract.audit import latest_run_summary

    os.environ["MEDALLION_DUCKDB_PATH"] = env["MEDALLION_DUCKDB_PATH"]
    summary = latest_run_summary(DAG_ID)
    if summary is None:
        print(f"the run left no audit summary; see {log_path}", file=sys.stderr)
        return code or 1
    print_summary(summary, time.monotonic() - started)
    if code != 0 or summary["outcome"] != "success":
        tail = log_path.read_text(errors="replace").splitlines()[-40:]
        print("\n".join(["", f"-- last lines of {log_path} --", *tail]), file=sys.stderr)
        return code or 1
    (state / "last_run.json").write_text(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
