"""``python -m sandbox --state-dir DIR [--seed N] [--scale S] [--host H] [--salesforce-port P] [--extra k=v ...]``

Prints the ``KEY=value`` lines clients need, then ``SANDBOX_READY``, and serves until SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import Sandbox


def _key_value(text: str) -> tuple[str, str]:
    key, separator, value = text.partition("=")
    if not separator or not key:
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    return key, value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description="Serve the simulated Salesforce org.")
    parser.add_argument("--state-dir", required=True, help="where the org, its TLS files and job files live")
    parser.add_argument("--seed", type=int, default=42, help="seed number of a new org (default 42)")
    parser.add_argument("--scale", type=float, default=1.0, help="size of a new org; 1.0 = 600 accounts")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--salesforce-port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--manifest", help="dbt manifest.json whose exposures define the fake Hightouch syncs")
    parser.add_argument("--warehouse", help="the warehouse the fake Hightouch syncs read their models from: a DuckDB file, "
                        "a PostgreSQL URL (postgresql://user@host:port/dbname; PGPASSWORD honoured) or a Snowflake URL "
                        "(snowflake://user@host:port/DATABASE?account=...&protocol=...; SNOWFLAKE_PASSWORD honoured)")
    parser.add_argument("--extra", type=_key_value, nargs="*", action="extend", default=[],
                        metavar="KEY=VALUE", help="options passed to the services (e.g. jwt_public_key=PATH)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    options = dict(args.extra)
    options.update({name: value for name in ("manifest", "warehouse") if (value := getattr(args, name))})
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    sandbox = Sandbox(args.state_dir, seed=args.seed, scale=args.scale, host=args.host,
                      salesforce_port=args.salesforce_port, options=options)
    with sandbox:
        lines = [f"{key}={value}" for key, value in sandbox.env().items()] + ["SANDBOX_READY"]
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
        stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
