"""Errors extraction raises. Each says what went wrong and where, so the task log explains itself.

Two families matter to callers:
- permanent errors (``PermanentError``): retrying cannot help (bad credentials, an unknown object or field, a
  malformed query, a daily limit used up). The Airflow glue fails such a task at once, without task retries.
- everything else is worth retrying later; transient HTTP failures are already retried inside the task, with
  backoff, before they surface.
"""

from __future__ import annotations


class ExtractError(Exception):
    """Base class for errors that explain themselves to the person reading the task log."""


class PermanentError(ExtractError):
    """Retrying the same work later cannot succeed: a person must change something first."""


class SalesforceLoginError(PermanentError):
    """The org refused the credentials of the connection."""

    def __init__(self, org_url: str, username: str | None, code: str, message: str):
        self.org_url, self.username, self.code = org_url, username, code
        who = f"user {username!r}" if username else "the connection's client credentials"
        super().__init__(f"Salesforce login to {org_url} as {who} failed: {code}: {message}")


class SalesforceUnavailableError(ExtractError):
    """The org kept failing with transient errors (5xx, 429, dropped connections) after every retry."""


class SalesforceApiError(ExtractError):
    """The org answered an API call with an error (Salesforce's ``[{errorCode, message}]`` envelope)."""

    def __init__(self, doing: str, status: int, error_code: str, message: str):
        self.doing, self.status, self.error_code, self.api_message = doing, status, error_code, message
        super().__init__(f"Salesforce refused to {doing}: HTTP {status} {error_code}: {message}")


class PermanentApiError(SalesforceApiError, PermanentError):
    """INVALID_FIELD, MALFORMED_QUERY, INVALID_TYPE, NOT_FOUND and the like: the request itself is wrong."""


class QueryTimeoutError(SalesforceApiError):
    """QUERY_TIMEOUT: the org gave up on the query; a narrower time window may succeed."""


class ObjectNotAccessibleError(PermanentError):
    """The integration user cannot read the object (not in the describe, INVALID_TYPE, no permission)."""

    def __init__(self, object_name: str, org_url: str, reason: str, close_matches: list[str] | None = None):
        self.object_name, self.reason = object_name, reason
        hint = f" Did you mean {', '.join(close_matches)}?" if close_matches else ""
        super().__init__(
            f"Salesforce object {object_name!r} cannot be extracted from {org_url}: {reason}.{hint}"
        )


class UnknownSalesforceObjectError(ObjectNotAccessibleError):
    """An object named in the configuration is not in the org's describe."""

    def __init__(self, object_name: str, org_url: str, close_matches: list[str]):
        super().__init__(
            object_name, org_url,
            "it is not in the org's describe: it does not exist there or the integration user cannot query it",
            close_matches,
        )


class BulkJobError(ExtractError):
    """A Bulk API 2.0 job ended Failed or Aborted."""


class IncompleteResultError(ExtractError):
    """The org delivered fewer rows than it announced (a short page, or pages short of the job's total)."""


class BudgetExhaustedError(PermanentError):
    """Going on would spend the reserve of a daily Salesforce limit that the platform leaves for others."""

    def __init__(self, limit: str, used: int, maximum: int, reserve_share: float, doing: str):
        self.limit, self.used, self.maximum, self.reserve_share = limit, used, maximum, reserve_share
        reserve = int(maximum * reserve_share)
        super().__init__(
            f"{limit}: {used:,} of {maximum:,} used in the last 24 h; the reserve keeps {reserve:,} "
            f"({reserve_share:.0%}) for other integrations, so the platform stops before it would {doing} "
            f"({maximum - used:,} left). Raise the limit, lower the reserve (MEDALLION_SALESFORCE_RESERVE_SHARE), "
            f"extract fewer objects or less often."
        )


class OrgMismatchError(PermanentError):
    """A source's connection now logs in to another org than the one whose records, cursors and audit it holds."""

    def __init__(self, source: str, org_id: str, landed_org_id: str):
        self.source, self.org_id, self.landed_org_id = source, org_id, landed_org_id
        super().__init__(
            f"source {source!r} holds the records, cursors and audit of org {landed_org_id}, but its connection now "
            f"logs in to org {org_id}: nothing was extracted, so no cursor of one org moves over another's records. "
            f"Give the new org a name of its own (MEDALLION_SALESFORCE_ORGS=conn_id:name), or point the connection "
            f"back at org {landed_org_id}.")
