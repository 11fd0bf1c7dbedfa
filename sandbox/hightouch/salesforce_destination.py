"""Apply a sync's rows to Salesforce as one Bulk API 2.0 job, through simple-salesforce (a real client)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import requests
from simple_salesforce import Salesforce

from sandbox.hightouch.syncs import SyncDefinition

BULK_OPERATION = {"insert": "insert", "update": "upsert", "upsert": "upsert"}


@dataclass(frozen=True)
class SalesforceCredentials:
    instance_url: str  # https://127.0.0.1:PORT
    username: str
    password: str
    security_token: str
    ca_file: str


@dataclass
class ApplyResult:
    added: int = 0
    changed: int = 0
    failed: int = 0
    errors: list[str] | None = None


def connect(creds: SalesforceCredentials) -> Salesforce:
    session = requests.Session()
    session.verify = creds.ca_file
    session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify otherwise
    host = creds.instance_url.removeprefix("https://")
    return Salesforce(username=creds.username, password=creds.password, security_token=creds.security_token,
                      domain=f"{host}/services/Soap/u/59.0#", session=session)


def _format(value: str) -> str:
    return "#N/A" if value == "" else value  # a null in the model clears the field in Salesforce


def to_upload_csv(model_csv: Path, sync: SyncDefinition, field_names: dict[str, str], out: Path) -> int:
    """Rewrite the model's CSV with Salesforce field names as header; return the row count."""
    with model_csv.open(newline="", encoding="utf-8") as src, out.open("w", newline="", encoding="utf-8") as dst:
        reader = csv.reader(src)
        header = next(reader)
        unknown = [c for c in header if c.lower() not in field_names]
        if unknown:
            raise ValueError(f"columns of {sync.model_table} not on {sync.destination_object}: {unknown}")
        writer = csv.writer(dst, lineterminator="\n")
        writer.writerow([field_names[c.lower()] for c in header])
        rows = 0
        for row in reader:
            writer.writerow([_format(v) for v in row])
            rows += 1
    return rows


def apply_sync(creds: SalesforceCredentials, sync: SyncDefinition, model_csv: Path, work: Path) -> tuple[int, ApplyResult]:
    sf = connect(creds)
    sobject = getattr(sf.bulk2, sync.destination_object)
    described = getattr(sf, sync.destination_object).describe()
    field_names = {f["name"].lower(): f["name"] for f in described["fields"]}
    upload = work / "upload.csv"
    planned = to_upload_csv(model_csv, sync, field_names, upload)
    if planned == 0:
        return 0, ApplyResult(errors=[])
    operation = BULK_OPERATION[sync.mode]
    if operation == "insert":
        jobs = sobject.insert(csv_file=str(upload), wait=0.1)
    else:
        jobs = sobject.upsert(csv_file=str(upload), external_id_field=sync.external_id, wait=0.1)
    result = ApplyResult(errors=[])
    for job in jobs:
        for row in csv.DictReader(io.StringIO(sobject.get_successful_records(job["job_id"]))):
            if row["sf__Created"] == "true":
                result.added += 1
            else:
                result.changed += 1
        for row in csv.DictReader(io.StringIO(sobject.get_failed_records(job["job_id"]))):
            result.failed += 1
            if len(result.errors) < 20:
                result.errors.append(f"{row.get('sf__Id') or row.get('Id', '')}: {row['sf__Error']}")
    return planned, result
