"""The ERP as a sandbox service: the database (DuckDB file or PostgreSQL), the file drops, the REST API.

Options (``--extra key=value``): ``erp_backend`` (``duckdb``, default, or ``postgres``), ``erp_pg_database``
(default ``medallion_erp_sandbox``), ``erp_pg_host``, ``erp_pg_port``, ``erp_pg_user``, ``erp_drop_dir``
(default ``<state dir>/erp_drops``), ``erp_api_rate_limit`` (requests per second per token, default 20),
``erp_port``. See docs/SANDBOX_ERP.md.
"""

from __future__ import annotations

from pathlib import Path

from ..server import SandboxContext, Service
from .api import create_erp_api
from .clock import ErpClock
from .controller import ErpController, api_token, ensure_seeded
from .database import DEFAULT_PG_DATABASE, ErpDatabase
from .file_drops import FileDrops
from .ratelimit import DEFAULT_REQUESTS_PER_SECOND, RateLimiter


def open_database(context: SandboxContext) -> ErpDatabase:
    options = context.options
    backend = options.get("erp_backend", "duckdb").lower()
    if backend == "duckdb":
        return ErpDatabase.duckdb(context.state_dir / "erp.duckdb")
    if backend in ("postgres", "postgresql"):
        return ErpDatabase.postgres(
            options.get("erp_pg_database", DEFAULT_PG_DATABASE), host=options.get("erp_pg_host", "127.0.0.1"),
            port=int(options.get("erp_pg_port", 5432)), user=options.get("erp_pg_user", "postgres"),
        )
    raise ValueError(f"erp_backend must be duckdb or postgres, not {backend!r}")


def build_service(context: SandboxContext) -> Service:
    salesforce = context.services.get("salesforce")
    org = salesforce.controller if salesforce else None
    clock = getattr(org, "clock", None) or ErpClock()
    db = open_database(context)
    try:
        seed, _ = ensure_seeded(db, context.seed, context.scale, lambda: org.rows("Account") if org else [])
        drop_dir = Path(context.options.get("erp_drop_dir") or context.state_dir / "erp_drops").resolve()
        database = "" if db.backend == "duckdb" else "_" + db.dsn.rsplit("/", 1)[1]
        state_name = f"erp_drops_state{database}.json"  # what the previous drops of this database covered
        drops = FileDrops(db, drop_dir, context.state_dir / state_name, seed, clock)
        drops.ensure_initial()
    except BaseException:
        db.close()
        raise
    limiter = RateLimiter(int(context.options.get("erp_api_rate_limit", DEFAULT_REQUESTS_PER_SECOND)))
    token = api_token(seed)
    controller = ErpController(db, seed=seed, clock=clock, drops=drops, limiter=limiter, token=token)
    return Service(
        name="erp", app=create_erp_api(db, token, limiter), tls=False, port=context.port("erp"),
        env=lambda url: {"ERP_DSN": db.dsn, "ERP_DROP_DIR": str(drop_dir), "ERP_API_URL": url,
                         "ERP_API_TOKEN": token},
        controller=controller, close=db.close,
    )
