"""Airflow connections turned into the explicit values the extract library takes. Run time only (inside tasks)."""

from __future__ import annotations

from extract.salesforce.credentials import DEFAULT_API_VERSION, SalesforceCredentials

EXTRA_PREFIX = "extra__salesforce__"


def _extra(extras: dict, name: str) -> str | None:
    """An extra by its short name, else by the legacy prefixed one; empty strings are None (as SalesforceHook)."""
    if extras.get(name):
        return extras[name]
    return extras.get(EXTRA_PREFIX + name) or None


def salesforce_credentials(conn_id: str, ca_bundle: str | None = None) -> SalesforceCredentials:
    """The org's credentials from Airflow connection ``conn_id``, mapped field for field as the provider's
    SalesforceHook maps them (login, password, extras security_token, domain, instance_url, consumer_key, ...)."""
    from airflow.sdk import BaseHook

    connection = BaseHook.get_connection(conn_id)
    extras = connection.extra_dejson or {}
    return SalesforceCredentials(
        username=connection.login or None,
        password=connection.password or None,
        security_token=_extra(extras, "security_token"),
        domain=_extra(extras, "domain"),
        instance=_extra(extras, "instance"),
        instance_url=_extra(extras, "instance_url"),
        organization_id=_extra(extras, "organization_id"),
        consumer_key=_extra(extras, "consumer_key"),
        consumer_secret=_extra(extras, "consumer_secret"),
        private_key=_extra(extras, "private_key"),
        private_key_file=_extra(extras, "private_key_file_path"),
        client_id=_extra(extras, "client_id"),
        version=_extra(extras, "version") or DEFAULT_API_VERSION,
        ca_bundle=ca_bundle or _extra(extras, "ca_bundle"),
    )


def connection_exists(conn_id: str) -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return False
    return True


def erp_database_dsn(conn_id: str) -> str:
    """The ERP database's DSN from Airflow connection ``conn_id``: its extra ``dsn`` (``duckdb:///<path>`` or
    ``postgresql://...``) when set, else a postgres connection's fields (host, port, login, password, schema =
    database) or a duckdb connection's extra ``path`` / host."""
    from airflow.sdk import BaseHook

    connection = BaseHook.get_connection(conn_id)
    extras = connection.extra_dejson or {}
    if extras.get("dsn"):
        return extras["dsn"]
    if connection.conn_type == "duckdb":
        return "duckdb:///" + (extras.get("path") or connection.host or "")
    from psycopg.conninfo import make_conninfo

    fields = {"host": connection.host, "port": connection.port, "user": connection.login,
              "password": connection.password, "dbname": connection.schema or extras.get("database")}
    return make_conninfo(**{k: str(v) for k, v in fields.items() if v})


def erp_api_config(conn_id: str):
    """The ERP REST API's base URL (host, with scheme and port) and Bearer token (password, or extra ``token``)."""
    from airflow.sdk import BaseHook

    from extract.erp.api_client import ErpApiConfig

    connection = BaseHook.get_connection(conn_id)
    extras = connection.extra_dejson or {}
    host = (connection.host or "").rstrip("/")
    if "://" not in host:
        scheme = extras.get("scheme") or (connection.schema if connection.schema in ("http", "https") else "https")
        host = f"{scheme}://{host}"
    if connection.port and host.count(":") < 2:
        host = f"{host}:{connection.port}"
    return ErpApiConfig(base_url=host, token=connection.password or extras.get("token") or "")
