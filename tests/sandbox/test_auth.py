"""Logging in with the real clients: SOAP, OAuth password / client credentials / JWT bearer, failures, expiry."""

from __future__ import annotations

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession


def test_soap_login_with_security_token(sf, sf_sandbox):
    assert sf.sf_instance == sf_sandbox.salesforce_url.removeprefix("https://")
    assert sf.session_id.startswith("00D")
    assert sf.query("SELECT Id FROM User WHERE Username = '%s'" % sf_sandbox.username)["totalSize"] == 1


def test_soap_login_with_wrong_password_is_invalid_login(sf_sandbox, soap_domain):
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username=sf_sandbox.username, password="wrong", security_token=sf_sandbox.security_token,
                   domain=soap_domain)
    assert failure.value.code == "INVALID_LOGIN"
    assert "Invalid username, password, security token" in failure.value.auth_message


def test_oauth_password_flow(sf_sandbox, oauth_domain):
    sf = Salesforce(username=sf_sandbox.username, password=sf_sandbox.password,
                    consumer_key=sf_sandbox.client_id, consumer_secret=sf_sandbox.client_secret, domain=oauth_domain)
    assert sf.base_url == f"{sf_sandbox.salesforce_url}/services/data/v59.0/"
    assert sf.Account.describe()["name"] == "Account"


def test_oauth_password_flow_with_wrong_password_is_invalid_grant(sf_sandbox, oauth_domain):
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username=sf_sandbox.username, password="nope", consumer_key=sf_sandbox.client_id,
                   consumer_secret=sf_sandbox.client_secret, domain=oauth_domain)
    assert failure.value.code == "invalid_grant"


def test_client_credentials_flow_with_basic_auth(sf_sandbox, oauth_domain):
    sf = Salesforce(consumer_key=sf_sandbox.client_id, consumer_secret=sf_sandbox.client_secret, domain=oauth_domain)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == sf_sandbox.org.count("Account", 'NOT "IsDeleted"')


def test_client_credentials_flow_with_secret_in_body(sf_sandbox):
    response = requests.post(f"{sf_sandbox.salesforce_url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": sf_sandbox.client_id,
        "client_secret": sf_sandbox.client_secret,
    })
    body = response.json()
    assert response.status_code == 200
    assert body["instance_url"] == sf_sandbox.salesforce_url and body["token_type"] == "Bearer"
    bad = requests.post(f"{sf_sandbox.salesforce_url}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": "unknown", "client_secret": "x"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client_id"


def test_jwt_bearer_flow_verifies_the_signature(sf_sandbox, oauth_domain, jwt_private_key):
    private_pem, _ = jwt_private_key
    sf = Salesforce(username=sf_sandbox.username, consumer_key=sf_sandbox.client_id,
                    privatekey=private_pem.decode(), domain=oauth_domain)
    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(SalesforceAuthenticationFailed) as failure:
        Salesforce(username=sf_sandbox.username, consumer_key=sf_sandbox.client_id,
                   privatekey=other_key.decode(), domain=oauth_domain)
    assert failure.value.code == "invalid_grant"


def test_expired_session_is_401_and_simple_salesforce_logs_in_again(sf_sandbox, soap_domain, frozen_clock):
    sf = Salesforce(username=sf_sandbox.username, password=sf_sandbox.password,
                    security_token=sf_sandbox.security_token, domain=soap_domain)
    frozen_clock.freeze(sf_sandbox.org.now())
    old_token = sf.session_id
    frozen_clock.advance(__import__("datetime").timedelta(hours=3))  # past the 2-hour session timeout

    raw = requests.get(f"{sf.base_url}limits/", headers={"Authorization": f"Bearer {old_token}"})
    assert raw.status_code == 401
    assert raw.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    assert sf.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1  # re-login happened inside
    assert sf.session_id != old_token

    direct = Salesforce(session_id=old_token, instance_url=sf_sandbox.salesforce_url)
    with pytest.raises(SalesforceExpiredSession):
        direct.query("SELECT Id FROM Account LIMIT 1")
