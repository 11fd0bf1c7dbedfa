"""Turn a Salesforce error response (a JSON list of {errorCode, message}) into a readable exception."""

from __future__ import annotations

import requests

from extract.errors import BulkJobError


def describe_error(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:500]}"
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return "; ".join(f"{e.get('errorCode')}: {e.get('message')}" for e in body)
    return f"HTTP {response.status_code}: {body}"


def raise_for_salesforce_error(response: requests.Response, doing: str) -> None:
    if response.status_code >= 400:
        raise BulkJobError(f"Salesforce refused to {doing}: {describe_error(response)}")
