"""``python -m sandbox`` prints its KEY=value lines first, serves HTTPS, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests

EXPECTED_KEYS = [
    "SALESFORCE_URL", "CA_BUNDLE", "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD", "SALESFORCE_TOKEN",
    "SALESFORCE_CLIENT_ID", "SALESFORCE_CLIENT_SECRET",
]


def test_cli_prints_lines_then_ready_and_stops_on_sigterm(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "--state-dir", str(tmp_path), "--seed", "7", "--scale", "0.05",
         "--extra", "faults=http_503@/services/data/*/limits,times=1", "--extra", "limit_DailyApiRequests=500",
         "--extra", "bulk_job_latency_seconds=0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))),
    )
    try:
        lines = []
        while (line := process.stdout.readline().rstrip("\n")) != "SANDBOX_READY":
            assert line, f"sandbox exited early: {process.stderr.read()}"
            lines.append(line)
        env = dict(line.split("=", 1) for line in lines)
        assert [line.split("=", 1)[0] for line in lines[:len(EXPECTED_KEYS)]] == EXPECTED_KEYS
        assert env["SALESFORCE_URL"].startswith("https://127.0.0.1:")
        assert env["CA_BUNDLE"] == str(tmp_path / "tls" / "ca-bundle.pem")
        token = requests.post(f"{env['SALESFORCE_URL']}/services/oauth2/token", verify=env["CA_BUNDLE"], data={
            "grant_type": "password", "client_id": env["SALESFORCE_CLIENT_ID"],
            "client_secret": env["SALESFORCE_CLIENT_SECRET"], "username": env["SALESFORCE_USERNAME"],
            "password": env["SALESFORCE_PASSWORD"] + env["SALESFORCE_TOKEN"],
        })
        assert token.status_code == 200 and token.json()["instance_url"] == env["SALESFORCE_URL"]
        # options reach the org: the configured fault fires once, the lowered limit shows in /limits
        bearer = {"Authorization": f"Bearer {token.json()['access_token']}"}
        limits_url = f"{env['SALESFORCE_URL']}/services/data/v59.0/limits"
        first = requests.get(limits_url, headers=bearer, verify=env["CA_BUNDLE"])
        assert first.status_code == 503 and first.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
        limits = requests.get(limits_url, headers=bearer, verify=env["CA_BUNDLE"]).json()
        assert limits["DailyApiRequests"] == {"Max": 500, "Remaining": 499}
        control = env["SANDBOX_CONTROL_URL"]
        assert control.startswith("http://127.0.0.1:")
        assert requests.get(f"{control}/faults").json()[0]["hits"] == 1
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
