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
