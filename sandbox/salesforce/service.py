"""The org as a sandbox service: served over HTTPS, announced with its URL and login secrets."""

from __future__ import annotations

from ..server import SandboxContext, Service
from .app import create_app
from .org import SalesforceOrg


def build_service(context: SandboxContext) -> Service:
    org = SalesforceOrg(context.state_dir, seed=context.seed, scale=context.scale, options=context.options)
    credentials = org.credentials

    def env(url: str) -> dict[str, str]:
        return {
            "SALESFORCE_URL": url,
            "CA_BUNDLE": str(context.tls.ca_bundle),
            "SALESFORCE_USERNAME": credentials.username,
            "SALESFORCE_PASSWORD": credentials.password,
            "SALESFORCE_TOKEN": credentials.security_token,
            "SALESFORCE_CLIENT_ID": credentials.client_id,
            "SALESFORCE_CLIENT_SECRET": credentials.client_secret,
        }

    return Service(
        name="salesforce", app=create_app(org), tls=True, port=context.port("salesforce"), env=env,
        controller=org, close=org.close,
    )
