"""A sandbox shared by the suite: small org, real HTTPS, clients trusting its CA through REQUESTS_CA_BUNDLE."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce import Salesforce

from sandbox.server import Sandbox

SCALE = 0.5  # 2,500 tasks: enough to page REST queries past 2,000 rows


@pytest.fixture(scope="session")
def jwt_private_key(tmp_path_factory) -> tuple[bytes, str]:
    """An RSA key pair: (private PEM, path of the public PEM the org verifies JWT assertions with)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    directory = tmp_path_factory.mktemp("jwt")
    public_path = directory / "public.pem"
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return private_pem, str(public_path)


@pytest.fixture(scope="session")
def sf_sandbox(tmp_path_factory, jwt_private_key):
    state_dir = tmp_path_factory.mktemp("sandbox")
    with pytest.MonkeyPatch.context() as patch, Sandbox(
        state_dir, seed=42, scale=SCALE, options={"jwt_public_key": jwt_private_key[1]}
    ) as running:
        patch.setenv("REQUESTS_CA_BUNDLE", running.ca_bundle)
        patch.setenv("CURL_CA_BUNDLE", running.ca_bundle)
        yield running


@pytest.fixture(scope="session")
def port(sf_sandbox) -> int:
    return int(sf_sandbox.salesforce_url.rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def soap_domain(port) -> str:
    return f"127.0.0.1:{port}/services/Soap/u/59.0#"


@pytest.fixture(scope="session")
def oauth_domain(port) -> str:
    return f"127.0.0.1:{port}/services/oauth2/token#"


@pytest.fixture(scope="session")
def sf(sf_sandbox, soap_domain) -> Salesforce:
    return Salesforce(
        username=sf_sandbox.username, password=sf_sandbox.password, security_token=sf_sandbox.security_token,
        domain=soap_domain,
    )


@pytest.fixture(scope="session")
def bearer(sf) -> dict[str, str]:
    return {"Authorization": f"Bearer {sf.session_id}"}


@pytest.fixture()
def frozen_clock(sf_sandbox):
    """Pin the org clock for a test, then give real time back."""
    yield sf_sandbox.org.clock
    sf_sandbox.org.clock.resume()
