"""The sandbox's second org: another org id, seed, integration user and port, same protocols as the first.

Served only with the option ``second_org=true`` (``python -m sandbox --extra second_org=true``); it prints
``SALESFORCE_2_URL``, ``SALESFORCE_2_USERNAME``, ``SALESFORCE_2_PASSWORD``, ``SALESFORCE_2_TOKEN``,
``SALESFORCE_2_CLIENT_ID``, ``SALESFORCE_2_CLIENT_SECRET`` and ``SALESFORCE_2_ORG_ID`` (the CA is the first
org's, ``CA_BUNDLE``). Its store lives in ``<state dir>/salesforce_2/``; its seed is the sandbox's seed + 1, so
its records differ while their Ids follow the same sequences as the first org's (as a sandbox copy's do): only
(Id, org) tells them apart. Its Python control API is ``Sandbox.controller("salesforce_2")``. Options meant for
it alone are given as ``second_org.<option>=value`` (e.g. ``second_org.faults=...``); every other option applies
to both orgs.
"""

from __future__ import annotations

from ..salesforce.app import create_app
from ..salesforce.org import SalesforceOrg
from ..server import SandboxContext, Service

NAME = "salesforce_2"
ORG_ID = "00D8d0000000002EAA"
USERNAME = "integration@org2.medallion-sandbox.example.com"
OWN_PREFIX = "second_org."


def enabled(options: dict[str, str]) -> bool:
    return str(options.get("second_org", "")).lower() in ("1", "true", "yes")


def build_service(context: SandboxContext) -> Service | None:
    if not enabled(context.options):
        return None
    options = {key: value for key, value in context.options.items() if not key.startswith(OWN_PREFIX)}
    options.update({key.removeprefix(OWN_PREFIX): value for key, value in context.options.items()
                    if key.startswith(OWN_PREFIX)})
    options.update({"org_id": ORG_ID, "username": USERNAME})
    org = SalesforceOrg(context.state_dir / NAME, seed=context.seed + 1, scale=context.scale, options=options)
    credentials = org.credentials

    def env(url: str) -> dict[str, str]:
        return {
            "SALESFORCE_2_URL": url,
            "SALESFORCE_2_USERNAME": credentials.username,
            "SALESFORCE_2_PASSWORD": credentials.password,
            "SALESFORCE_2_TOKEN": credentials.security_token,
            "SALESFORCE_2_CLIENT_ID": credentials.client_id,
            "SALESFORCE_2_CLIENT_SECRET": credentials.client_secret,
            "SALESFORCE_2_ORG_ID": credentials.org_id,
        }

    return Service(name=NAME, app=create_app(org), tls=True, port=context.port(NAME), env=env, controller=org,
                   close=org.close)
