"""`make run`: start the sandbox, run the salesforce_medallion DAG once through Airflow, stop, print a summary.

Everything local lives under .medallion/. When AIRFLOW_CONN_SALESFORCE_DEFAULT is already set, extraction reads
that org instead of the sandbox's (REQUESTS_CA_BUNDLE is honoured for its certificate), and the reverse sync runs
only if AIRFLOW_CONN_HIGHTOUCH_DEFAULT is set too: the sandbox never writes to an org it does not own.

With MEDALLION_TARGET=snowflake and no MEDALLION_SF_HOST (no account configured), `fakesnow -s` stands in for
Snowflake (scripts/fakesnow_server.py on a free port, databases under .medallion/fakesnow/), started before the run
and stopped after the summary is read from it.

The outcome is Airflow's: the DAG run's state (`airflow dags test` exits non-zero when it failed). The summary
comes from the audit the run wrote; a run whose audit is missing is reported as failed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "dags")]

from medallion.config import DAG_ID, load  # noqa: E402
from medallion.run_audit import latest_run_summary  # noqa: E402
from scripts.local_env import (  # noqa: E402
    SECOND_ORG_CONN_ID,
    SECOND_ORG_NAME,
    airflow_env,
    ensure_airflow_db,
    ensure_postgres_database,
    point_at_sandbox_erp,
    start_fakesnow,
    start_sandbox,
)

# make run exercises the hard-delete reconciliation on every run (a cheap count check first, an Id scan only
# where the counts differ); a deployment keeps the daily default.
LOCAL_DEFAULTS = {"MEDALLION_SALESFORCE_RECONCILE_HOURS": "0", "MEDALLION_SCHEDULE": "none"}


def print_summary(summary: dict, seconds: float) -> None:
    layers = summary["rows_per_layer"]
    extraction = summary.get("extraction") or {}
    print("\n== salesforce_medallion: " + summary["outcome"].upper() + f" in {seconds:.0f}s ==")
    print(f"extraction          {extraction.get('objects_extracted', 0)} objects extracted, "
          f"{extraction.get('objects_unchanged', 0)} unchanged, {extraction.get('objects_skipped', 0)} skipped, "
          f"{extraction.get('objects_failed', 0)} failed (routes: {extraction.get('routes') or '-'})")
    print(f"rows landed         {extraction.get('rows_landed', 0)} of {extraction.get('rows_received', 0)} received "
          f"({extraction.get('deletes_seen', 0)} deleted versions, {extraction.get('tombstones', 0)} hard deletes "
          f"found by {extraction.get('reconciliations', 0)} reconciliations, "
          f"{extraction.get('formula_rows_refreshed', 0)} formula refreshes)")
    sources = extraction.get("sources") or {}
    if len(sources) > 1:
        for source, figures in sources.items():
            print(f"  {source:<17} {figures.get('org_id') or '-'}: {figures.get('objects_extracted', 0)} objects "
                  f"extracted, {figures.get('objects_unchanged', 0)} unchanged, {figures.get('objects_failed', 0)} "
                  f"failed; {figures.get('rows_landed', 0)} rows landed; {figures.get('api_calls', 0)} API calls")
    print(f"API                 {extraction.get('api_calls', 0)} calls, {extraction.get('bulk_jobs', 0)} Bulk jobs, "
          f"{extraction.get('retries', 0)} retries, {extraction.get('bytes', 0) / 1e6:.1f} MB")
    for source, erp in sorted((summary.get("erp") or {}).items()):
        files = (f", {erp['files_landed']} files landed, {erp['files_unchanged']} already landed"
                 if source == "erp_files" else "")
        print(f"{source:<20}{erp['objects']} objects, {erp['rows_landed']} rows landed of {erp['rows_received']} "
              f"received ({erp['deletes_seen']} deleted versions, {erp['quarantined']} quarantined{files}), "
              f"{erp['api_calls']} API calls, {erp['retries']} retries, {erp['failed']} failed")
    print(f"rows per layer      bronze {layers['bronze']:>8}   silver {layers['silver']:>8}   gold {layers['gold']:>8}"
          "   (base tables)")
    print(f"quarantined rows    {summary['quarantined_rows']}")
    print(f"dbt tests passed    {summary['dbt_tests_passed']} of {summary['dbt_tests_total']}")
    print(f"records synced back {summary['records_synced']} (failed {summary['records_failed_to_sync']})")
    for sync in summary["syncs"]:
        print(f"  {sync['slug']}: run {sync['run_id']} {sync['status']}, {sync['successful_rows']} ok, "
              f"{sync['failed_rows']} failed")
    gold = {k: v for k, v in summary["rows_per_table"].items() if k.startswith("gold.")}
    print("gold tables         " + ", ".join(f"{k.removeprefix('gold.')}={v}" for k, v in gold.items()))
    if summary["tasks_failed"]:
        failed = summary["tasks_failed"]
        shown = ", ".join(failed[:12]) + (f" and {len(failed) - 12} more" if len(failed) > 12 else "")
        print(f"failed tasks        {shown} ({summary.get('tasks_upstream_failed', 0)} more did not run because of them)")


def main() -> int:
    state = Path(os.environ.get("MEDALLION_STATE_DIR", ROOT / ".medallion")).resolve()
    fakesnow = None
    if os.environ.get("MEDALLION_TARGET") == "snowflake" and "MEDALLION_SF_HOST" not in os.environ:
        # no Snowflake account configured: fakesnow stands in, its databases kept under .medallion/fakesnow/
        fakesnow = start_fakesnow(ROOT, state / "fakesnow", state / "logs" / "fakesnow.log")
        os.environ.update(fakesnow.profile_env())
        print(f"warehouse: Snowflake as fakesnow serves it on localhost:{fakesnow.port} "
              f"(databases under {os.path.relpath(fakesnow.db_dir, ROOT)})")
    try:
        return run(state)
    finally:
        if fakesnow:
            fakesnow.stop()


def run(state: Path) -> int:
    started = time.monotonic()
    started_at = datetime.now(UTC).replace(tzinfo=None)
    (state / "logs").mkdir(parents=True, exist_ok=True)
    env = airflow_env(ROOT, state)
    for key, value in LOCAL_DEFAULTS.items():
        env.setdefault(key, value)
    settings = load(env)
    ensure_airflow_db(env, state)
    database = ensure_postgres_database(env)
    if database:
        print(f"warehouse: PostgreSQL database {database} at {settings.pg_host}:{settings.pg_port}")
    external_org = "AIRFLOW_CONN_SALESFORCE_DEFAULT" in os.environ
    sandbox = None
    if external_org:
        print("AIRFLOW_CONN_SALESFORCE_DEFAULT is set: extracting from that org, not the sandbox")
        if "AIRFLOW_CONN_HIGHTOUCH_DEFAULT" not in os.environ:
            print("AIRFLOW_CONN_HIGHTOUCH_DEFAULT is not set: the reverse sync is skipped in this run")
    else:
        # restart_activity: on the second and later runs the org has changed in between, as real orgs do
        extra = ["restart_activity=true"] + (["second_org=true"] if settings.local_orgs == 2 else [])
        sandbox = start_sandbox(ROOT, state, env, ["--extra", *extra])
        print(f"sandbox org at {sandbox.values['SALESFORCE_URL']}, Hightouch at {sandbox.values['HIGHTOUCH_URL']}")
        if point_at_sandbox_erp(sandbox.values, env):
            print(f"sandbox ERP: database {sandbox.values['ERP_DSN']}, drops {sandbox.values['ERP_DROP_DIR']}, "
                  f"API {sandbox.values['ERP_API_URL']}")
        if settings.local_orgs == 2:
            env.setdefault("MEDALLION_SALESFORCE_ORGS", f"{settings.salesforce_conn_id}:salesforce,"
                                                        f"{SECOND_ORG_CONN_ID}:{SECOND_ORG_NAME}")
            print(f"second sandbox org at {sandbox.values['SALESFORCE_2_URL']} "
                  f"(org {sandbox.values['SALESFORCE_2_ORG_ID']}, connection {SECOND_ORG_CONN_ID})")
    log_path = state / "logs" / f"{datetime.now():%Y%m%dT%H%M%S}-{DAG_ID}.log"
    try:
        print(f"running {DAG_ID} through Airflow (airflow dags test); log: {os.path.relpath(log_path, ROOT)}")
        with log_path.open("w") as log:
            code = subprocess.call(["airflow", "dags", "test", DAG_ID], env=env, cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
    finally:
        if sandbox:
            sandbox.stop()
    summary = latest_run_summary(settings.warehouse(), DAG_ID)  # the password, if any, from this environment
    if summary is not None and datetime.fromisoformat(str(summary["started_at"])) < started_at.replace(microsecond=0):
        summary = None  # an earlier run's audit: this run wrote none
    tail = "\n".join(["", f"-- last lines of {log_path} --", *log_path.read_text(errors="replace").splitlines()[-40:]])
    if summary is None:
        print(f"\n== {DAG_ID}: FAILED (Airflow exit code {code}); the run wrote no audit summary; see {log_path} ==",
              file=sys.stderr)
        print(tail, file=sys.stderr)
        return code or 1
    if code != 0:
        summary["outcome"] = "failed"
    print_summary(summary, time.monotonic() - started)
    if code != 0 or summary["outcome"] != "success":
        print(tail, file=sys.stderr)
        return code or 1
    (state / "last_run.json").write_text(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
