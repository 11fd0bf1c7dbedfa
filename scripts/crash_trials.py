"""`make crash-trials`: kill extraction at random points, re-run it, check bronze against the org every time.

    python scripts/crash_trials.py --trials 300 --seed 1 [--state-dir .medallion/crash-trials] [--keep-all]
        [--warehouse duckdb|postgres] [--pg-host 127.0.0.1 --pg-port 5432 --pg-user postgres]

With --warehouse postgres the cycles land into a PostgreSQL database the run creates and drops (a failing trial's
database is kept, renamed, and named in the summary).

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1, help="drives every random choice (org changes, cycles, kills)")
    parser.add_argument("--state-dir", type=Path, default=ROOT / ".medallion" / "crash-trials",
                        help="the org, the warehouse and the kept artifacts (emptied first)")
    parser.add_argument("--objects", default=",".join(OBJECTS), help="comma-separated objects each cycle extracts")
    parser.add_argument("--keep-all", action="store_true", help="keep every trial's specs, traces and logs")
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    parser.add_argument("--warehouse", choices=("duckdb", "postgres"), default="duckdb")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    args = parser.parse_args(argv)
    shutil.rmtree(args.state_dir, ignore_errors=True)
    config = HarnessConfig(state_dir=args.state_dir, seed=args.seed, keep_all=args.keep_all,
                           objects=tuple(o.strip() for o in args.objects.split(",") if o.strip()),
                           warehouse=args.warehouse,
                           pg_admin={"host": args.pg_host, "port": args.pg_port, "user": args.pg_user})
    log = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    print(f"starting a sandbox org and {args.trials} crash trials (seed {args.seed}, {args.warehouse}) in "
          f"{args.state_dir}", flush=True)
    with CrashHarness(config, log=log) as harness:
        summary = harness.run(args.trials)
    print()
    print(summary.format())
    return 1 if summary.violations else 0


if __name__ == "__main__":
    sys.exit(main())
