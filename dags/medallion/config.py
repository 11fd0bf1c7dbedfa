"""Every setting of the platform, read from the environment in this one module and nowhere else.

No Variable or Connection is read here (nor at parse time anywhere): connections are read by tasks at run time.
Values travel as arguments from here on: the DAG passes what a task needs as its arguments.

| variable | default | what it sets |
|---|---|---|
| MEDALLION_STATE_DIR | `.medallion` | local state (warehouse, sandbox, Airflow home of `make run`) |
| MEDALLION_TARGET | `local` | dbt target and landing warehouse: local (DuckDB), postgres, snowflake |
| MEDALLION_DUCKDB_PATH | `$STATE_DIR/warehouse.duckdb` | the DuckDB warehouse |
| MEDALLION_PG_HOST / _PORT / _USER / _DATABASE | `127.0.0.1` / `5432` / `postgres` / `medallion` | the PostgreSQL warehouse (target postgres; dbt reads the same variables in profiles.yml) |
| MEDALLION_PG_PASSWORD | empty | its password: read by the task at run time (warehouse_target), never a task argument |
| MEDALLION_SF_ACCOUNT / _USER / _ROLE / _DATABASE / _WAREHOUSE | `fakesnow` / `medallion` / `SYSADMIN` / `MEDALLION` / `COMPUTE_WH` | the Snowflake warehouse (target snowflake; dbt reads the same variables in profiles.yml) |
| MEDALLION_SF_HOST / _PORT / _PROTOCOL | `localhost` / `8000` / `http` | its endpoint (a real account: `<account>.snowflakecomputing.com` / `443` / `https`) |
| MEDALLION_SF_PASSWORD | empty | its password: read by the task at run time (warehouse_target), never a task argument |
| MEDALLION_SF_FAKESNOW | `false` | test-only: `true` where fakesnow stands in for Snowflake (the tests, `make run TARGET=snowflake`); see macros/fakesnow.sql |
| MEDALLION_MANIFEST_PATH | `target/manifest.json` | the dbt manifest Cosmos renders |
| MEDALLION_SCHEDULE | `*/15 * * * *` | the extraction cadence (`none` for manual runs only) |
| MEDALLION_SALESFORCE_CONN_ID | `salesforce_default` | the Airflow connection of the org |
| MEDALLION_SALESFORCE_ORGS | `$SALESFORCE_CONN_ID:salesforce` | several orgs: `conn_id:name,...` (name `[a-z][a-z0-9_]*`); org `salesforce` lands into `bronze.salesforce__<object>`, org `emea` into `bronze.salesforce_emea__<object>` |
| MEDALLION_LOCAL_ORGS | `1` | `make run` only: `2` serves the sandbox's second org and extracts both (connection `salesforce_org2`, name `org2`) |
| MEDALLION_HIGHTOUCH_CONN_ID | `hightouch_default` | the Hightouch connection (syncs are skipped at run time when it is missing) |
| MEDALLION_REVERSE_SYNC | `auto` | `auto`: a sync task per sync exposure; `off`: none in the DAG |
| MEDALLION_SALESFORCE_INCLUDE / _EXCLUDE | `*` / empty | comma-separated patterns over the org's object names |
| MEDALLION_SALESFORCE_LOOKBACK_MINUTES | `5` | incremental windows start this long before the cursor |
| MEDALLION_SALESFORCE_REST_MAX_ROWS | `25000` | deltas up to this many rows use REST query, larger ones Bulk API 2.0 |
| MEDALLION_SALESFORCE_BULK_PAGE_ROWS | `500000` | the most rows of a Bulk API 2.0 result page (pages are sized to ~64 MB within it) |
| MEDALLION_SALESFORCE_RESERVE_SHARE | `0.2` | share of each daily Salesforce limit never spent |
| MEDALLION_SALESFORCE_RECONCILE_HOURS | `24` | how often each object's hard deletes are reconciled (`0`: every cycle, `off`: never) |
| MEDALLION_SALESFORCE_FORMULA_REFRESH_HOURS | `24` | how often formula fields are read again (`0`: every cycle, `off`: never) |
| MEDALLION_SALESFORCE_REREAD_QUIET_HOURS | `1` | an object without changes for this long has its lookback window read again (`off`: never) |
| MEDALLION_SALESFORCE_HTTP_ATTEMPTS | `6` | attempts per API call before a transient error fails the task |
| MEDALLION_SALESFORCE_CONCURRENCY | `4` | objects an extraction task downloads at once (one lands at a time) |
| MEDALLION_SALESFORCE_CA_BUNDLE | unset | a CA bundle for the org's certificate (REQUESTS_CA_BUNDLE is honoured too) |
| MEDALLION_EXTRACT_RETRIES, _RETRY_DELAY_S | `3`, `15` | Airflow task retries (exponential backoff) |
| MEDALLION_ERP_DATABASE_CONN_ID | `erp_database` | the ERP database's connection (extra `dsn`, or a postgres connection); its tasks skip at run time when it is missing |
| MEDALLION_ERP_API_CONN_ID | `erp_api` | the ERP REST API's connection (host = base URL, password = Bearer token); skipped when missing |
| MEDALLION_ERP_DROP_DIR | unset | the folder ERP flat files are dropped into (the file tasks skip when unset or absent) |
| MEDALLION_ERP_ARCHIVE_DIR | `$ERP_DROP_DIR/archive` | where landed files are moved |
| MEDALLION_ERP_LOOKBACK_MINUTES | `5` | ERP database and API reads start this long before their cursor |
| MEDALLION_ERP_PAGE_ROWS | `50000` | ERP rows per landed page |
| MEDALLION_BRONZE_STORE | `$STATE_DIR/bronze_store` | where every landed batch is archived for replay: a folder or any fsspec/ObjectStoragePath URL (`s3://bucket/prefix`); `off`: not archived |
| MEDALLION_BRONZE_STORE_CONN_ID | unset | the Airflow connection ObjectStoragePath reads the store's credentials from (e.g. `aws_default`) |
| MEDALLION_SILVER_OBJECTS_THREADS | `4` | dbt threads of the one task that builds the generated silver of every extracted object (`0`: the task is left out) |
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "salesforce_medallion"
DBT_PROFILE = "medallion"
DUCKDB_WRITER_POOL = "duckdb_writer"  # DuckDB allows one writer process: every writing task takes its one slot


def _hours(value: str) -> float | None:
    return None if value.strip().lower() in ("off", "never", "none", "") else float(value)


def _store(value: str) -> str | None:
    return None if value.strip().lower() in ("off", "none", "") else value.strip()


def _patterns(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


DEFAULT_ORG_NAME = "salesforce"
_ORG_NAME = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")  # no "__": it separates the source from the object


@dataclass(frozen=True)
class SalesforceOrg:
    """One Salesforce org to extract: its Airflow connection and its name.

    ``source`` keys everything the org lands (bronze tables ``<source>__<object>``, state, audit, tombstones) and
    is the dbt ``source_relation`` of its rows: ``salesforce`` for the org named ``salesforce`` (the default, so one
    org lands exactly as it always did), ``salesforce_<name>`` for any other.
    """

    conn_id: str
    name: str = DEFAULT_ORG_NAME

    @property
    def source(self) -> str:
        return DEFAULT_ORG_NAME if self.name == DEFAULT_ORG_NAME else f"{DEFAULT_ORG_NAME}_{self.name}"

    @property
    def group_id(self) -> str:
        """The org's extraction task group: ``extract`` for the default org, ``extract_<name>`` for the others."""
        return "extract" if self.name == DEFAULT_ORG_NAME else f"extract_{self.name}"


def parse_orgs(value: str) -> tuple[SalesforceOrg, ...]:
    """``conn_id:name,conn_id:name`` -> the orgs; a clear ValueError for anything else."""
    orgs = []
    for entry in (e.strip() for e in value.split(",")):
        if not entry:
            continue
        conn_id, separator, name = (part.strip() for part in entry.partition(":"))
        if not separator or not conn_id or not name:
            raise ValueError(f"MEDALLION_SALESFORCE_ORGS: {entry!r} is not conn_id:name (e.g. sf_emea:emea)")
        if not _ORG_NAME.fullmatch(name) or len(name) > 40:
            raise ValueError(f"MEDALLION_SALESFORCE_ORGS: org name {name!r} must be lower-case letters, digits and "
                             "single underscores, start with a letter and be at most 40 characters")
        orgs.append(SalesforceOrg(conn_id, name))
    if not orgs:
        raise ValueError("MEDALLION_SALESFORCE_ORGS names no org (expected conn_id:name,...)")
    for what, values in (("name", [o.name for o in orgs]), ("connection", [o.conn_id for o in orgs]),
                         ("source", [o.source for o in orgs])):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise ValueError(f"MEDALLION_SALESFORCE_ORGS: {what} {', '.join(repeated)} given twice")
    return tuple(orgs)


def _local_orgs(value: str) -> int:
    if value.strip() not in ("1", "2"):
        raise ValueError(f"MEDALLION_LOCAL_ORGS must be 1 or 2 (the sandbox serves up to two orgs), not {value!r}")
    return int(value)


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    target: str
    duckdb_path: Path
    manifest_path: Path
    schedule: str | None
    salesforce_conn_id: str
    hightouch_conn_id: str
    reverse_sync: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    lookback_minutes: float
    rest_max_rows: int
    bulk_page_rows: int
    reserve_share: float
    reconcile_hours: float | None
    formula_refresh_hours: float | None
    reread_quiet_hours: float | None
    http_attempts: int
    concurrency: int
    ca_bundle: str | None
    extract_retries: int
    extract_retry_delay_s: int
    erp_database_conn_id: str = "erp_database"
    erp_api_conn_id: str = "erp_api"
    erp_drop_dir: Path | None = None
    erp_archive_dir: Path | None = None
    erp_lookback_minutes: float = 5.0
    erp_page_rows: int = 50_000
    bronze_store: str | None = None
    bronze_store_conn_id: str | None = None
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_database: str = "medallion"
    salesforce_orgs: tuple[SalesforceOrg, ...] = ()
    local_orgs: int = 1  # make run: how many sandbox orgs to serve and extract (1 or 2)
    sf_account: str = "fakesnow"
    sf_user: str = "medallion"
    sf_role: str = "SYSADMIN"
    sf_database: str = "MEDALLION"
    sf_warehouse: str = "COMPUTE_WH"
    sf_host: str = "localhost"
    sf_port: int = 8000
    sf_protocol: str = "http"
    sf_fakesnow: bool = False  # test-only (macros/fakesnow.sql)
    silver_objects_threads: int = 4  # the generated silver of every object: one task, one dbt build (0: off)
    profiles_path: Path = field(default=PROJECT_ROOT / "profiles.yml")

    @property
    def writer_pool(self) -> str:
        return DUCKDB_WRITER_POOL if self.target == "local" else "default_pool"

    @property
    def extract_retry_policy(self) -> dict:
        return {"retries": self.extract_retries, "retry_delay": timedelta(seconds=self.extract_retry_delay_s),
                "retry_exponential_backoff": True, "max_retry_delay": timedelta(minutes=10)}

    def warehouse(self) -> dict:
        """Where extraction lands, as a task argument (no secrets: the task reads them with warehouse_target)."""
        location = {"target": self.target, "duckdb_path": str(self.duckdb_path)}
        if self.target == "postgres":
            location.update(host=self.pg_host, port=self.pg_port, user=self.pg_user, database=self.pg_database)
        if self.target == "snowflake":
            location.update(host=self.sf_host, port=self.sf_port, user=self.sf_user, database=self.sf_database,
                            options={"account": self.sf_account, "role": self.sf_role,
                                     "warehouse": self.sf_warehouse, "protocol": self.sf_protocol})
        return location

    def extract_options(self) -> dict:
        """The extraction options as plain values, for task arguments (extract.options.ExtractOptions)."""
        return {
            "include": list(self.include), "exclude": list(self.exclude),
            "lookback_s": self.lookback_minutes * 60, "rest_max_rows": self.rest_max_rows,
            "bulk_page_rows": self.bulk_page_rows, "reserve_share": self.reserve_share,
            "reconcile_every_s": None if self.reconcile_hours is None else self.reconcile_hours * 3600,
            "formula_refresh_every_s": None if self.formula_refresh_hours is None
            else self.formula_refresh_hours * 3600,
            "reread_quiet_every_s": None if self.reread_quiet_hours is None else self.reread_quiet_hours * 3600,
            "http_attempts": self.http_attempts, "concurrency": self.concurrency, "ca_bundle": self.ca_bundle,
            "work_dir": str(self.state_dir / "tmp"),
        }

    def erp(self) -> dict:
        """The ERP extraction's task argument: connection ids, folders and options (no secrets)."""
        return {
            "database_conn_id": self.erp_database_conn_id, "api_conn_id": self.erp_api_conn_id,
            "drop_dir": str(self.erp_drop_dir) if self.erp_drop_dir else None,
            "archive_dir": str(self.erp_archive_dir or self.erp_drop_dir / "archive") if self.erp_drop_dir else None,
            "options": {"lookback_s": self.erp_lookback_minutes * 60, "page_rows": self.erp_page_rows,
                        "http_attempts": self.http_attempts, "work_dir": str(self.state_dir / "tmp")},
            "bronze_store": self.bronze_store_args(),
        }

    def bronze_store_args(self) -> dict | None:
        """The bronze store, as a task argument (its URL and connection id; never a secret), or None when off."""
        if self.bronze_store is None:
            return None
        return {"url": self.bronze_store, "conn_id": self.bronze_store_conn_id}

    def salesforce_extraction(self, org: SalesforceOrg, required_objects: list[str]) -> dict:
        """One org's extraction, as the task argument of its plan and object tasks (no secrets)."""
        return {"conn_id": org.conn_id, "source": org.source, "warehouse": self.warehouse(),
                "options": {**self.extract_options(), "source": org.source}, "required_objects": required_objects,
                "bronze_store": self.bronze_store_args()}

    @property
    def salesforce_sources(self) -> list[str]:
        return [org.source for org in self.salesforce_orgs]

    def silver_objects(self) -> dict:
        """The task argument of the generated silver's one build (dags/medallion/silver_objects.py; no secrets)."""
        return {"warehouse": self.warehouse(), "sources": self.salesforce_sources, "target": self.target,
                "dbt_env": self.dbt_env(), "profiles_dir": str(self.profiles_path.parent),
                "threads": self.silver_objects_threads, "target_path": str(self.state_dir / "dbt_silver_objects")}

    def dbt_env(self) -> dict[str, str]:
        """What dbt needs to find the warehouse when Cosmos runs it from a temporary copy of the project."""
        env = {"MEDALLION_TARGET": self.target, "MEDALLION_DUCKDB_PATH": str(self.duckdb_path),
               "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
        if self.target == "postgres":  # the password is not here: dbt reads it from the worker's environment
            env.update(MEDALLION_PG_HOST=self.pg_host, MEDALLION_PG_PORT=str(self.pg_port),
                       MEDALLION_PG_USER=self.pg_user, MEDALLION_PG_DATABASE=self.pg_database)
        if self.salesforce_sources != [DEFAULT_ORG_NAME]:  # dbt var salesforce_sources (one org: its default)
            env["MEDALLION_SALESFORCE_SOURCES"] = ",".join(self.salesforce_sources)
        if self.target == "snowflake":  # likewise, MEDALLION_SF_PASSWORD stays in the worker's environment
            env.update(MEDALLION_SF_ACCOUNT=self.sf_account, MEDALLION_SF_USER=self.sf_user,
                       MEDALLION_SF_ROLE=self.sf_role, MEDALLION_SF_DATABASE=self.sf_database,
                       MEDALLION_SF_WAREHOUSE=self.sf_warehouse, MEDALLION_SF_HOST=self.sf_host,
                       MEDALLION_SF_PORT=str(self.sf_port), MEDALLION_SF_PROTOCOL=self.sf_protocol,
                       MEDALLION_SF_FAKESNOW=str(self.sf_fakesnow).lower())
        return env


def load(environ: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    state_dir = Path(env.get("MEDALLION_STATE_DIR", PROJECT_ROOT / ".medallion"))
    schedule = env.get("MEDALLION_SCHEDULE", "*/15 * * * *").strip()
    conn_id = env.get("MEDALLION_SALESFORCE_CONN_ID", "salesforce_default")
    return Settings(
        state_dir=state_dir,
        target=env.get("MEDALLION_TARGET", "local"),
        duckdb_path=Path(env.get("MEDALLION_DUCKDB_PATH", state_dir / "warehouse.duckdb")),
        manifest_path=Path(env.get("MEDALLION_MANIFEST_PATH", PROJECT_ROOT / "target" / "manifest.json")),
        schedule=None if schedule.lower() in ("none", "") else schedule,
        salesforce_conn_id=conn_id,
        hightouch_conn_id=env.get("MEDALLION_HIGHTOUCH_CONN_ID", "hightouch_default"),
        reverse_sync=env.get("MEDALLION_REVERSE_SYNC", "auto"),
        include=_patterns(env.get("MEDALLION_SALESFORCE_INCLUDE", "*")),
        exclude=_patterns(env.get("MEDALLION_SALESFORCE_EXCLUDE", "")),
        lookback_minutes=float(env.get("MEDALLION_SALESFORCE_LOOKBACK_MINUTES", "5")),
        rest_max_rows=int(env.get("MEDALLION_SALESFORCE_REST_MAX_ROWS", "25000")),
        bulk_page_rows=int(env.get("MEDALLION_SALESFORCE_BULK_PAGE_ROWS", "500000")),
        reserve_share=float(env.get("MEDALLION_SALESFORCE_RESERVE_SHARE", "0.2")),
        reconcile_hours=_hours(env.get("MEDALLION_SALESFORCE_RECONCILE_HOURS", "24")),
        formula_refresh_hours=_hours(env.get("MEDALLION_SALESFORCE_FORMULA_REFRESH_HOURS", "24")),
        reread_quiet_hours=_hours(env.get("MEDALLION_SALESFORCE_REREAD_QUIET_HOURS", "1")),
        http_attempts=int(env.get("MEDALLION_SALESFORCE_HTTP_ATTEMPTS", "6")),
        concurrency=int(env.get("MEDALLION_SALESFORCE_CONCURRENCY", "4")),
        ca_bundle=env.get("MEDALLION_SALESFORCE_CA_BUNDLE") or None,
        extract_retries=int(env.get("MEDALLION_EXTRACT_RETRIES", "3")),
        extract_retry_delay_s=int(env.get("MEDALLION_EXTRACT_RETRY_DELAY_S", "15")),
        erp_database_conn_id=env.get("MEDALLION_ERP_DATABASE_CONN_ID", "erp_database"),
        erp_api_conn_id=env.get("MEDALLION_ERP_API_CONN_ID", "erp_api"),
        erp_drop_dir=Path(env["MEDALLION_ERP_DROP_DIR"]) if env.get("MEDALLION_ERP_DROP_DIR") else None,
        erp_archive_dir=Path(env["MEDALLION_ERP_ARCHIVE_DIR"]) if env.get("MEDALLION_ERP_ARCHIVE_DIR") else None,
        erp_lookback_minutes=float(env.get("MEDALLION_ERP_LOOKBACK_MINUTES", "5")),
        erp_page_rows=int(env.get("MEDALLION_ERP_PAGE_ROWS", "50000")),
        bronze_store=_store(env.get("MEDALLION_BRONZE_STORE", str(state_dir / "bronze_store"))),
        bronze_store_conn_id=env.get("MEDALLION_BRONZE_STORE_CONN_ID") or None,
        pg_host=env.get("MEDALLION_PG_HOST", "127.0.0.1"),
        pg_port=int(env.get("MEDALLION_PG_PORT", "5432")),
        pg_user=env.get("MEDALLION_PG_USER", "postgres"),
        pg_database=env.get("MEDALLION_PG_DATABASE", "medallion"),
        salesforce_orgs=parse_orgs(env.get("MEDALLION_SALESFORCE_ORGS") or f"{conn_id}:{DEFAULT_ORG_NAME}"),
        local_orgs=_local_orgs(env.get("MEDALLION_LOCAL_ORGS", "1")),
        sf_account=env.get("MEDALLION_SF_ACCOUNT", "fakesnow"),
        sf_user=env.get("MEDALLION_SF_USER", "medallion"),
        sf_role=env.get("MEDALLION_SF_ROLE", "SYSADMIN"),
        sf_database=env.get("MEDALLION_SF_DATABASE", "MEDALLION"),
        sf_warehouse=env.get("MEDALLION_SF_WAREHOUSE", "COMPUTE_WH"),
        sf_host=env.get("MEDALLION_SF_HOST", "localhost"),
        sf_port=int(env.get("MEDALLION_SF_PORT", "8000")),
        sf_protocol=env.get("MEDALLION_SF_PROTOCOL", "http"),
        sf_fakesnow=env.get("MEDALLION_SF_FAKESNOW", "false").strip().lower() == "true",
        silver_objects_threads=int(env.get("MEDALLION_SILVER_OBJECTS_THREADS", "4")),
    )


TARGETS = ("local", "postgres", "snowflake")


def warehouse_target(warehouse: dict, environ: Mapping[str, str] | None = None):
    """The writer's target for a task's ``warehouse`` argument, with its secret read from the environment now (at
    task run time), so it never travels as a task argument."""
    from extract.warehouse import WarehouseTarget

    env = os.environ if environ is None else environ
    kind = warehouse["target"]
    if kind == "local":
        return WarehouseTarget(kind="local", duckdb_path=warehouse["duckdb_path"])
    if kind == "postgres":
        return WarehouseTarget(kind="postgres", host=warehouse["host"], port=int(warehouse["port"]),
                               user=warehouse["user"], database=warehouse["database"],
                               password=env.get("MEDALLION_PG_PASSWORD") or None)
    if kind == "snowflake":
        return WarehouseTarget(kind="snowflake", host=warehouse["host"], port=int(warehouse["port"]),
                               user=warehouse["user"], database=warehouse["database"],
                               password=env.get("MEDALLION_SF_PASSWORD") or None,
                               options=dict(warehouse.get("options", {})))
    raise ValueError(f"MEDALLION_TARGET={kind!r}: choose one of {', '.join(TARGETS)}")


SETTINGS = load()
