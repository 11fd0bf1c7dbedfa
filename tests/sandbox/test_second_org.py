"""The sandbox's second org: served only when asked, on its own port, with its own org id, user and records."""

from __future__ import annotations

import requests

from sandbox.server import Sandbox


def soap_login(url: str, username: str, password: str, token: str, ca_bundle: str) -> tuple[str, str]:
    """(session id, org id from the login's userInfo) of a SOAP login."""
    body = (f'<?xml version="1.0" encoding="utf-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/'
            f'envelope/" xmlns:urn="urn:partner.soap.sforce.com"><env:Body><urn:login><urn:username>{username}'
            f'</urn:username><urn:password>{password}{token}</urn:password></urn:login></env:Body></env:Envelope>')
    response = requests.post(f"{url}/services/Soap/u/59.0", data=body.encode(), verify=ca_bundle, timeout=30,
                             headers={"Content-Type": "text/xml", "SOAPAction": "login"})
    assert response.status_code == 200, response.text[:500]
    text = response.text
    return (text.split("<sessionId>")[1].split("</sessionId>")[0],
            text.split("<organizationId>")[1].split("</organizationId>")[0])


def test_one_org_by_default(tmp_path):
    with Sandbox(tmp_path / "sb", seed=3, scale=0.05, options={"custom_scale": "0.02"}) as sb:
        assert "SALESFORCE_2_URL" not in sb.env()
        assert not (tmp_path / "sb" / "salesforce_2").exists()


def test_second_org_has_its_own_identity_user_records_and_options(tmp_path):
    options = {"custom_scale": "0.02", "second_org": "true", "second_org.hidden_objects": "Case"}
    with Sandbox(tmp_path / "sb", seed=3, scale=0.05, options=options) as sb:
        env = sb.env()
        first, second = sb.org, sb.controller("salesforce_2")
        assert env["SALESFORCE_2_URL"] != env["SALESFORCE_URL"]
        assert env["SALESFORCE_2_USERNAME"] != env["SALESFORCE_USERNAME"]
        orgs = {}
        for prefix in ("SALESFORCE_", "SALESFORCE_2_"):
            session, org_id = soap_login(env[prefix + "URL"], env[prefix + "USERNAME"], env[prefix + "PASSWORD"],
                                         env[prefix + "TOKEN"], sb.ca_bundle)
            resources = requests.get(f"{env[prefix + 'URL']}/services/data/v59.0", verify=sb.ca_bundle, timeout=30,
                                     headers={"Authorization": f"Bearer {session}"}).json()
            assert f"/id/{org_id}/" in resources["identity"]
            orgs[prefix] = (org_id, session)
        assert orgs["SALESFORCE_"][0] == first.credentials.org_id == "00D8d0000000001EAA"
        assert orgs["SALESFORCE_2_"][0] == env["SALESFORCE_2_ORG_ID"] == second.credentials.org_id
        assert orgs["SALESFORCE_"][0] != orgs["SALESFORCE_2_"][0]
        # a session of one org is not one of the other's
        refused = requests.get(f"{env['SALESFORCE_2_URL']}/services/data/v59.0", verify=sb.ca_bundle, timeout=30,
                               headers={"Authorization": f"Bearer {orgs['SALESFORCE_'][1]}"})
        assert refused.status_code == 401
        # the same Id sequences, other records
        ids = [r["Id"] for r in first.rows("Account")]
        assert ids == [r["Id"] for r in second.rows("Account")]
        assert [r["Name"] for r in first.rows("Account")] != [r["Name"] for r in second.rows("Account")]
        assert second.rows("User", "\"Id\" = '" + second.credentials.user_id + "'")[0]["Username"] == \
            env["SALESFORCE_2_USERNAME"]
        # second_org.<option> applies to the second org alone
        describe = requests.get(f"{env['SALESFORCE_2_URL']}/services/data/v59.0/sobjects", verify=sb.ca_bundle,
                                timeout=30, headers={"Authorization": f"Bearer {orgs['SALESFORCE_2_'][1]}"}).json()
        assert "Case" not in {o["name"] for o in describe["sobjects"]}
        describe = requests.get(f"{env['SALESFORCE_URL']}/services/data/v59.0/sobjects", verify=sb.ca_bundle,
                                timeout=30, headers={"Authorization": f"Bearer {orgs['SALESFORCE_'][1]}"}).json()
        assert "Case" in {o["name"] for o in describe["sobjects"]}
