"""What it takes to log in to one Salesforce org: an explicit value, built by the caller (the Airflow glue maps an
Airflow connection onto it exactly as the provider's SalesforceHook does). Secrets never appear in its repr."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_API_VERSION = "59.0"


@dataclass(frozen=True)
class SalesforceCredentials:
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str | None = field(default=None, repr=False)
    domain: str | None = None  # "login", "test", a My Domain, or the loopback trick "127.0.0.1:8443/services/Soap/u/59.0#"
    instance: str | None = None
    instance_url: str | None = None
    organization_id: str | None = None
    consumer_key: str | None = None
    consumer_secret: str | None = field(default=None, repr=False)
    private_key: str | None = field(default=None, repr=False)
    private_key_file: str | None = None
    client_id: str | None = None
    version: str = DEFAULT_API_VERSION
    # A CA bundle to trust for the org's certificate; None honours REQUESTS_CA_BUNDLE / the system store.
    ca_bundle: str | None = None

    @property
    def org_url(self) -> str:
        """The org's login URL as a person would recognise it, for messages."""
        if self.instance_url:
            return self.instance_url.rstrip("/")
        if self.instance:
            return f"https://{self.instance}"
        domain = self.domain or "login"
        if any(ch in domain for ch in "/:#"):  # the loopback trick
            return "https://" + domain.split("#")[0].split("/")[0]
        return f"https://{domain}.salesforce.com"

    def simple_salesforce_kwargs(self) -> dict:
        """Keyword arguments for ``simple_salesforce.Salesforce`` (the flow is chosen by which are set)."""
        return {
            "username": self.username,
            "password": self.password,
            "security_token": self.security_token,
            "domain": self.domain,
            "instance": self.instance,
            "instance_url": self.instance_url,
            "organizationId": self.organization_id,
            "version": self.version,
            "client_id": self.client_id,
            "consumer_key": self.consumer_key,
            "consumer_secret": self.consumer_secret,
            "privatekey_file": self.private_key_file,
            "privatekey": self.private_key,
        }
