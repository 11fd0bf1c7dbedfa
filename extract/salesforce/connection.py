"""An authenticated Salesforce org session, built from an Airflow connection through the provider's SalesforceHook.

The hook maps the connection exactly as Airflow users know it (login, password, extras security_token, domain,
consumer_key, ...). We only borrow the session it logs in with; every API call after that is ours, so results can
be streamed to disk instead of held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed

from extract.errors import SalesforceLoginError

DEFAULT_API_VERSION = "59.0"


@dataclass(frozen=True)
class SalesforceSession:
    instance_url: str  # https://host[:port], no trailing slash
    access_token: str
    api_version: str
    http: requests.Session

    @property
    def data_url(self) -> str:
        return f"{self.instance_url}/services/data/v{self.api_version}"

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", **extra}


def org_url_from_connection(extras: dict, host: str | None = None) -> str:
    """The org's login URL as a person would recognise it, for error messages."""
    if extras.get("instance_url"):
        return extras["instance_url"].rstrip("/")
    domain = extras.get("domain") or "login"
    if any(ch in domain for ch in "/:#"):  # the loopback trick: "127.0.0.1:8443/services/Soap/u/59.0#"
        return "https://" + domain.split("#")[0].split("/")[0]
    return f"https://{domain}.salesforce.com"


def session_from_airflow_connection(conn_id: str = "salesforce_default") -> SalesforceSession:
    """Log in with the Airflow connection `conn_id`; raise SalesforceLoginError naming the org and the user."""
    from airflow.providers.salesforce.hooks.salesforce import SalesforceHook

    hook = SalesforceHook(salesforce_conn_id=conn_id)
    connection = hook.get_connection(conn_id)
    extras = connection.extra_dejson
    extras = {k.removeprefix("extra__salesforce__"): v for k, v in extras.items()}
    try:
        sf = hook.get_conn()
    except SalesforceAuthenticationFailed as exc:
        raise SalesforceLoginError(
            org_url_from_connection(extras), connection.login, str(exc.code), str(exc.message)
        ) from None
    except requests.exceptions.SSLError as exc:
        raise SalesforceLoginError(
            org_url_from_connection(extras), connection.login, "TLS_ERROR",
            f"{exc} (set REQUESTS_CA_BUNDLE to a bundle that holds the org's CA)",
        ) from None
    except requests.exceptions.ConnectionError as exc:
        raise SalesforceLoginError(
            org_url_from_connection(extras), connection.login, "CONNECTION_ERROR", str(exc)
        ) from None
    return SalesforceSession(
        instance_url=f"https://{sf.sf_instance}",
        access_token=sf.session_id,
        api_version=sf.sf_version,
        http=sf.session,
    )
