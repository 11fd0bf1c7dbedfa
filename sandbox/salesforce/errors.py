"""Salesforce API errors and their JSON envelope ``[{"message": ..., "errorCode": ..., "fields": [...]}]``."""

from __future__ import annotations


class SalesforceError(Exception):
    """An error answered to the client in Salesforce's envelope with an HTTP status."""

    def __init__(self, status: int, error_code: str, message: str, fields: list[str] | None = None,
                 body: list | None = None):
        super().__init__(f"{error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields
        self.body = body  # answered instead of the envelope (300 Multiple Choices lists record URLs)

    def envelope(self) -> list:
        if self.body is not None:
            return self.body
        body: dict = {"message": self.message, "errorCode": self.error_code}
        if self.fields is not None:
            body["fields"] = self.fields
        return [body]


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def invalid_session() -> SalesforceError:
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def malformed_query(message: str) -> SalesforceError:
    return SalesforceError(400, "MALFORMED_QUERY", message)


def invalid_field(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_FIELD", message)


def invalid_type(message: str) -> SalesforceError:
    return SalesforceError(400, "INVALID_TYPE", message)


def json_parser_error(message: str) -> SalesforceError:
    return SalesforceError(400, "JSON_PARSER_ERROR", message)
