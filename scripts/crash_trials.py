"""`make crash-trials`: kill extraction at random points, re-run it, check bronze against the org every time.

    python scripts/crash_trials.py --trials 300 --seed 1 [--state-dir .medallion/crash-trials] [--keep-all]
        [--warehouse duckdb|postgres|snowflake] [--pg-host 127.0.0.1 --pg-port 5432 --pg-user postgres]
        [--source salesforce|erp] [--bronze-store] [--orgs 2]

--source erp kills the ERP extraction instead (tables, file drops, REST API: tests/extract/erp_crash_harness.py)
and checks bronze against the ERP; --bronze-store (ERP) archives every batch in a local store and checks its
sealed manifests against the committed batches.

With --warehouse postgres the cycles land into a PostgreSQL database the run creates and drops (a failing trial's
database is kept, renamed, and named in the summary). With --warehouse snowflake they land into a Snowflake
database on a fakesnow server the run starts and stops, its databases under <state dir>/fakesnow (a failing
trial's database is kept there, named in the summary; the next trials land into a new one). --orgs 2 (Salesforce,
PostgreSQL or Snowflake) serves the sandbox's second org too and runs both orgs' cycles at once in two processes,
killing one of them each trial.

Starts a sandbox org of its own (in its own process), runs the trials (tests/extract/crash_harness.py), prints one
line per trial and a summary: trials, kills by point, violations (each with the trial's kill point, org changes,
examples, and where its warehouse, traces and logs were kept). Exits 1 if any violation was found.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.extract.crash_harness import OBJECTS, CrashHarness, HarnessConfig  # noqa: E402
from tests.extract.erp_crash_harness import ErpCrashHarness, ErpHarnessConfig  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1, help="drives every random choice (org changes, cycles, kills)")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".medallion" / "crash-trials",
                        help="the org, the warehouse and the kept artifacts (emptied first)")
    parser.add_argument("--objects", default=",".join(OBJECTS), help="comma-separated objects each cycle extracts")
    parser.add_argument("--keep-all", action="store_true", help="keep every trial's specs, traces and logs")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    parser.add_argument("--warehouse", choices=("duckdb", "postgres", "snowflake"), default="duckdb")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--source", choices=("salesforce", "erp"), default="salesforce")
    parser.add_argument("--bronze-store", action="store_true", help="ERP: archive batches in a store, check it")
    parser.add_argument("--orgs", type=int, choices=(1, 2), default=1,
                        help="Salesforce: 2 runs two orgs' cycles at once and kills one (postgres or snowflake)")
    args = parser.parse_args(argv)
    shutil.rmtree(args.state_dir, ignore_errors=True)
    pg_admin = {"host": args.pg_host, "port": args.pg_port, "user": args.pg_user}
    log = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    if args.source == "erp":
        print(f"starting a sandbox ERP and {args.trials} ERP crash trials (seed {args.seed}, {args.warehouse}"
              f"{', bronze store' if args.bronze_store else ''}) in {args.state_dir}", flush=True)
        with ErpCrashHarness(ErpHarnessConfig(state_dir=args.state_dir, seed=args.seed, keep_all=args.keep_all,
                                              warehouse=args.warehouse, pg_admin=pg_admin,
                                              bronze_store=args.bronze_store), log=log) as harness:
            summary = harness.run(args.trials)
        print()
        print(summary.format())
        print_aborted(harness)
        return 1 if summary.violations else 0
    config = HarnessConfig(state_dir=args.state_dir, seed=args.seed, keep_all=args.keep_all,
                           objects=tuple(o.strip() for o in args.objects.split(",") if o.strip()),
                           warehouse=args.warehouse, pg_admin=pg_admin, orgs=args.orgs)
    print(f"starting a sandbox {'with two orgs' if args.orgs > 1 else 'org'} and {args.trials} crash trials (seed "
          f"{args.seed}, {args.warehouse}{', both orgs at once, one killed' if args.orgs > 1 else ''}) in "
          f"{args.state_dir}", flush=True)
    with CrashHarness(config, log=log) as harness:
        summary = harness.run(args.trials)
    print()
    print(summary.format())
    print_aborted(harness)
    return 1 if summary.violations else 0


def print_aborted(harness) -> None:
    if harness.fakesnow:
        print(f"fakesnow: {harness.fakesnow.aborted} transactions left open by killed runs, rolled back before their "
              f"re-runs (as Snowflake aborts a detached transaction); databases kept for failing trials: "
              f"{', '.join(harness.kept_databases) or 'none'}")


if __name__ == "__main__":
    sys.exit(main())
