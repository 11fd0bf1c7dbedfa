"""The local environment `make run` and the end-to-end tests share: Airflow settings, its database, the sandbox."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parents[1]


def _config():
    """dags/medallion/config.py (the settings' one reader), importable from every script."""
    if str(ROOT / "dags") not in sys.path:
        sys.path.append(str(ROOT / "dags"))
    from medallion import config

    return config


def airflow_env(root: Path, state: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "AIRFLOW_HOME": str(state / "airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(root / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": env.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "INFO"),
        "DO_NOT_TRACK": "1",
        "SCARF_NO_ANALYTICS": "true",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "MEDALLION_STATE_DIR": str(state),
        "MEDALLION_DUCKDB_PATH": str(state / "warehouse.duckdb"),
        "MEDALLION_MANIFEST_PATH": str(root / "target" / "manifest.json"),
    })
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    return env


def ensure_airflow_db(env: dict[str, str], state: Path) -> None:
    """Create Airflow's SQLite metadata database once, and the one-slot pool DuckDB's single writer needs."""
    marker = state / "airflow" / ".migrated"
    if marker.exists():
        return
    (state / "airflow").mkdir(parents=True, exist_ok=True)
    for cmd in (["airflow", "db", "migrate"],
                ["airflow", "pools", "set", "duckdb_writer", "1", "DuckDB allows one writer process"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    marker.touch()


PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, so a killed runner never leaves a sandbox behind."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class RunningSandbox:
    process: subprocess.Popen
    values: dict[str, str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def sandbox_warehouse(env: dict[str, str]) -> tuple[str, dict[str, str]]:
    """What the fake Hightouch reads its models from, for the target in ``env``: the DuckDB file, or a PostgreSQL
    URL (its password, if any, as PGPASSWORD in the sandbox's environment only)."""
    config = _config()
    settings = config.load(env)
    if settings.target == "snowflake":
        target = config.warehouse_target(settings.warehouse(), env)
        query = urlencode({k: v for k, v in target.options.items() if k in ("account", "protocol", "role",
                                                                              "warehouse")})
        url = f"snowflake://{quote(target.user or '')}@{target.host}:{target.port}/{target.database}?{query}"
        return url, ({"SNOWFLAKE_PASSWORD": target.password} if target.password else {})
    if settings.target != "postgres":
        return env["MEDALLION_DUCKDB_PATH"], {}
    target = config.warehouse_target(settings.warehouse(), env)
    url = f"postgresql://{target.user}@{target.host}:{target.port}/{target.database}"
    return url, ({"PGPASSWORD": target.password} if target.password else {})


def ensure_postgres_database(env: dict[str, str]) -> str | None:
    """With MEDALLION_TARGET=postgres: create the warehouse database when it is missing; return its name."""
    config = _config()
    settings = config.load(env)
    if settings.target != "postgres":
        return None
    import psycopg
    from psycopg import sql

    args = config.warehouse_target(settings.warehouse(), env).postgres_conninfo()
    database = args.pop("dbname")
    with psycopg.connect(**args, dbname="postgres", autocommit=True) as con:
        if not con.execute("select 1 from pg_database where datname = %s", [database]).fetchone():
            con.execute(sql.SQL("create database {}").format(sql.Identifier(database)))
    return database


SECOND_ORG_CONN_ID = "salesforce_org2"  # the Airflow connection of the sandbox's second org
SECOND_ORG_NAME = "org2"  # its name in MEDALLION_SALESFORCE_ORGS: bronze.salesforce_org2__<object>


def salesforce_connection(values: dict[str, str], prefix: str = "SALESFORCE_") -> str:
    """An Airflow connection (JSON) to the sandbox org whose printed lines start with ``prefix``."""
    host = values[prefix + "URL"].removeprefix("https://")
    return json.dumps({
        "conn_type": "salesforce", "login": values[prefix + "USERNAME"], "password": values[prefix + "PASSWORD"],
        "extra": {"security_token": values[prefix + "TOKEN"], "domain": f"{host}/services/Soap/u/59.0#"},
    })


def start_sandbox(root: Path, state: Path, env: dict[str, str], extra_args: list[str] = ()) -> RunningSandbox:
    """Start `python -m sandbox`, read its KEY=value lines, and point env's connections and CA bundle at it."""
    warehouse, secrets = sandbox_warehouse(env)
    cmd = [sys.executable, "-m", "sandbox", "--state-dir", str(state / "sandbox"),
           "--manifest", env["MEDALLION_MANIFEST_PATH"], "--warehouse", warehouse, *extra_args]
    (state / "logs").mkdir(parents=True, exist_ok=True)
    log = (state / "logs" / "sandbox.log").open("w")
    process = subprocess.Popen(cmd, cwd=root, env={**env, **secrets}, stdout=subprocess.PIPE, stderr=log, text=True,
                               preexec_fn=_die_with_parent)
    values: dict[str, str] = {}
    for line in process.stdout:
        line = line.strip()
        if line == "SANDBOX_READY":
            break
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
    else:
        raise RuntimeError(f"the sandbox stopped before it was ready; see {state / 'logs' / 'sandbox.log'}")
    env["AIRFLOW_CONN_SALESFORCE_DEFAULT"] = salesforce_connection(values)
    if "SALESFORCE_2_URL" in values:  # the second org (--extra second_org=true)
        env["AIRFLOW_CONN_" + SECOND_ORG_CONN_ID.upper()] = salesforce_connection(values, "SALESFORCE_2_")
    env["AIRFLOW_CONN_HIGHTOUCH_DEFAULT"] = json.dumps({
        "conn_type": "http", "host": values["HIGHTOUCH_URL"], "password": values["HIGHTOUCH_TOKEN"],
    })
    env["REQUESTS_CA_BUNDLE"] = env["CURL_CA_BUNDLE"] = values["CA_BUNDLE"]
    return RunningSandbox(process, values)


def point_at_sandbox_erp(values: dict[str, str], env: dict[str, str]) -> bool:
    """Pass the sandbox's ERP (ERP_DSN, ERP_DROP_DIR, ERP_API_URL, ERP_API_TOKEN) as the ERP connections and drop
    folder the DAG reads (conn ids as dags/medallion/config.py names them); False when the sandbox has no ERP."""
    if "ERP_DSN" not in values:
        return False
    database = env.get("MEDALLION_ERP_DATABASE_CONN_ID", "erp_database").upper()
    api = env.get("MEDALLION_ERP_API_CONN_ID", "erp_api").upper()
    env[f"AIRFLOW_CONN_{database}"] = json.dumps({"conn_type": "generic", "extra": {"dsn": values["ERP_DSN"]}})
    env[f"AIRFLOW_CONN_{api}"] = json.dumps({"conn_type": "http", "host": values["ERP_API_URL"],
                                            "password": values["ERP_API_TOKEN"]})
    env["MEDALLION_ERP_DROP_DIR"] = values["ERP_DROP_DIR"]
    return True


@dataclass
class RunningFakesnow:
    """`fakesnow -s` (scripts/fakesnow_server.py) on a free loopback port, its databases in its own directory."""

    process: subprocess.Popen
    port: int
    db_dir: Path

    def profile_env(self) -> dict[str, str]:
        """The MEDALLION_SF_* settings (profiles.yml, dags/medallion/config.py) that point at this server.

        fakesnow accepts any password; it is set only because the Snowflake client refuses an empty one."""
        return {"MEDALLION_SF_HOST": "localhost", "MEDALLION_SF_PORT": str(self.port),
                "MEDALLION_SF_PROTOCOL": "http", "MEDALLION_SF_ACCOUNT": "fakesnow",
                "MEDALLION_SF_USER": "medallion", "MEDALLION_SF_PASSWORD": "fakesnow",
                "MEDALLION_SF_DATABASE": "MEDALLION", "MEDALLION_SF_FAKESNOW": "true"}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_fakesnow(root: Path, db_dir: Path, log_path: Path) -> RunningFakesnow:
    """Start fakesnow's Snowflake server on a free port with its databases under db_dir; wait until it serves."""
    db_dir.mkdir(parents=True, exist_ok=True)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "-m", "scripts.fakesnow_server", "--db-dir", str(db_dir)],
                                   cwd=root, stdout=subprocess.PIPE, stderr=log, text=True,
                                   preexec_fn=_die_with_parent)
    port = None
    for line in process.stdout:
        line = line.strip()
        if line.startswith("FAKESNOW_PORT="):
            port = int(line.split("=", 1)[1])
        elif line == "FAKESNOW_READY":
            break
    if port is None:
        process.kill()
        process.wait()
        raise RuntimeError(f"fakesnow stopped before it was ready; see {log_path}")
    process.stdout.close()  # the server writes its log to stderr (and stdout, after READY) from here on
    return RunningFakesnow(process, port, db_dir)
