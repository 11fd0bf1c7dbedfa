"""Errors an extract task raises on bad input: each says what went wrong and where, without a traceback hunt."""


class ExtractError(Exception):
    """Base class for errors that explain themselves to the person reading the task log."""


class SalesforceLoginError(ExtractError):
    """The org refused the credentials of the Airflow connection."""

    def __init__(self, org_url: str, username: str | None, code: str, message: str):
        self.org_url, self.username, self.code = org_url, username, code
        who = f"user {username!r}" if username else "the connection's client credentials"
        super().__init__(f"Salesforce login to {org_url} as {who} failed: {code}: {message}")


class UnknownSalesforceObjectError(ExtractError):
    """An object named in the configuration is not in the org's describe."""

    def __init__(self, object_name: str, org_url: str, close_matches: list[str]):
        self.object_name = object_name
        hint = f" Did you mean {', '.join(close_matches)}?" if close_matches else ""
        super().__init__(
            f"Salesforce object {object_name!r} is not in the describe of {org_url}: "
            f"it does not exist there or the integration user cannot query it.{hint}"
        )


class BulkJobError(ExtractError):
    """A Bulk API 2.0 job ended Failed or Aborted, or the API answered with an error."""
