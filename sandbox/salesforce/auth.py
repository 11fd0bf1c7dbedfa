"""Logging in: SOAP ``login``, the OAuth 2.0 token endpoint (password, client credentials, JWT bearer), and the
sessions their tokens name. Every data endpoint resolves its ``Authorization: Bearer`` token with
``require_session``; an unknown or expired token is ``401 INVALID_SESSION_ID``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html import escape
from urllib.parse import parse_qs

import jwt
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from .clock import OrgClock
from .errors import invalid_session

SESSION_TIMEOUT = dt.timedelta(hours=2)
SUBREQUEST_SCOPE_KEY = "sandbox.composite_subrequest"  # set by composite.py on the scopes of its subrequests
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"

router = APIRouter()


@dataclass(frozen=True)
class Credentials:
    """The integration user's login secrets and the connected app's client id/secret."""

    username: str
    password: str
    security_token: str
    client_id: str
    client_secret: str
    user_id: str
    org_id: str
    jwt_public_key: str | None = None  # PEM; when set, JWT bearer assertions must verify against it


@dataclass
class Session:
    token: str
    user_id: str
    expires_at: dt.datetime


class SessionRegistry:
    """Issued access tokens; a session expires after two hours without use (by the org clock)."""

    def __init__(self, clock: OrgClock, org_id: str):
        self._clock = clock
        self._org_id = org_id
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def issue(self, user_id: str) -> Session:
        token = f"{self._org_id[:15]}!" + secrets.token_urlsafe(72)
        session = Session(token, user_id, self._clock.now() + SESSION_TIMEOUT)
        with self._lock:
            self._sessions[token] = session
        return session

    def resolve(self, token: str) -> Session | None:
        now = self._clock.now()
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if session.expires_at <= now:
                del self._sessions[token]
                return None
            session.expires_at = max(session.expires_at, now + SESSION_TIMEOUT)  # a clock set back keeps it alive
            return session

    def expire(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def expire_all(self) -> None:
        with self._lock:
            self._sessions.clear()


def require_session(request: Request) -> Session:
    """The caller's session (counted as one API request), or 401 INVALID_SESSION_ID."""
    org = request.app.state.org
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not token and request.headers.get("x-sfdc-session"):
        token, scheme = request.headers["x-sfdc-session"], "bearer"
    session = org.sessions.resolve(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
    if session is None:
        raise invalid_session()
    if request.scope.get(SUBREQUEST_SCOPE_KEY):
        org.limits.count_subrequest(request.method, request.url.path)  # a composite call counts once, as a whole
    else:
        org.limits.consume_api_request(request.method, request.url.path)
    return session


def request_token(request: Request) -> str:
    """The token a data request carries (``Authorization: Bearer``/``OAuth`` or Bulk 1.0 ``X-SFDC-Session``)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if token and scheme.lower() in ("bearer", "oauth"):
        return token.strip()
    return request.headers.get("x-sfdc-session", "").strip()


def instance_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


# --- SOAP login ---------------------------------------------------------------------------------------------------

SOAP_FAULT = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope
 xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode>
<faultstring>{code}: {message}</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault">
<sf:exceptionCode>{code}</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault>
</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"""

SOAP_LOGIN_RESPONSE = """<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope
 xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>
<metadataServerUrl>{base}/services/Soap/m/{version}/{org_id}</metadataServerUrl>
<passwordExpired>false</passwordExpired><sandbox>true</sandbox>
<serverUrl>{base}/services/Soap/u/{version}/{org_id}</serverUrl>
<sessionId>{token}</sessionId><userId>{user_id}</userId>
<userInfo><currencySymbol>$</currencySymbol><organizationId>{org_id}</organizationId>
<organizationMultiCurrency>false</organizationMultiCurrency><organizationName>Medallion Sandbox</organizationName>
<profileId>00e8d0000000001AAA</profileId><roleId xsi:nil="true"/><sessionSecondsValid>{seconds}</sessionSecondsValid>
<userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>{username}</userEmail><userFullName>Integration User</userFullName>
<userId>{user_id}</userId><userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>{username}</userName>
<userTimeZone>Etc/UTC</userTimeZone><userType>Standard</userType><userUiSkin>Theme3</userUiSkin></userInfo>
</result></loginResponse></soapenv:Body></soapenv:Envelope>"""

INVALID_LOGIN_MESSAGE = "Invalid username, password, security token; or user locked out."


def _soap_fault(code: str, message: str) -> Response:
    return Response(SOAP_FAULT.format(code=code, message=escape(message)), status_code=500,
                    media_type="text/xml; charset=utf-8")


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def soap_login(request: Request, body: bytes, version: str) -> Response:
    org = request.app.state.org
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return _soap_fault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
    values = {_local_name(element.tag): (element.text or "") for element in root.iter()}
    if "login" not in values:
        return _soap_fault("UNKNOWN_EXCEPTION", "The SOAP request must be a login call")
    credentials: Credentials = org.credentials
    password = values.get("password", "")
    if values.get("username") != credentials.username or password != credentials.password + credentials.security_token:
        return _soap_fault("INVALID_LOGIN", INVALID_LOGIN_MESSAGE)
    session = org.sessions.issue(credentials.user_id)
    xml = SOAP_LOGIN_RESPONSE.format(
        base=instance_url(request), version=version, org_id=credentials.org_id, token=session.token,
        user_id=credentials.user_id, username=escape(credentials.username),
        seconds=int(SESSION_TIMEOUT.total_seconds()),
    )
    return Response(xml, media_type="text/xml; charset=utf-8")


@router.post("/services/Soap/u/{version}")
@router.post("/services/Soap/u/{version}/{org_id}")
async def soap_endpoint(request: Request, version: str) -> Response:
    return soap_login(request, await request.body(), version)


# --- OAuth 2.0 token endpoint -------------------------------------------------------------------------------------

def _oauth_error(error: str, description: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


def _client_from_request(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except ValueError:
            return None, None
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id"), form.get("client_secret")


def _verify_assertion(assertion: str, credentials: Credentials) -> bool:
    try:
        if credentials.jwt_public_key:
            claims = jwt.decode(
                assertion, credentials.jwt_public_key, algorithms=["RS256"], options={"verify_aud": False}
            )
        else:
            claims = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    expires = float(claims.get("exp", 0))
    return (
        claims.get("iss") == credentials.client_id
        and claims.get("sub") == credentials.username
        and expires > time.time()
    )


def token_response(request: Request, form: dict[str, str]) -> JSONResponse:
    org = request.app.state.org
    credentials: Credentials = org.credentials
    grant_type = form.get("grant_type")
    if grant_type == "password":
        client_id, client_secret = _client_from_request(request, form)
        if client_id != credentials.client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if client_secret != credentials.client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
        password = form.get("password", "")
        accepted = (credentials.password, credentials.password + credentials.security_token)
        if form.get("username") != credentials.username or password not in accepted:
            return _oauth_error("invalid_grant", "authentication failure")
    elif grant_type == "client_credentials":
        client_id, client_secret = _client_from_request(request, form)
        if client_id != credentials.client_id:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if client_secret != credentials.client_secret:
            return _oauth_error("invalid_client", "invalid client credentials")
    elif grant_type == JWT_BEARER:
        if not _verify_assertion(form.get("assertion", ""), credentials):
            return _oauth_error("invalid_grant", "invalid assertion")
    else:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    session = org.sessions.issue(credentials.user_id)
    base = instance_url(request)
    identity = f"{base}/id/{credentials.org_id}/{credentials.user_id}"
    issued_at = str(int(time.time() * 1000))
    signature = base64.b64encode(
        hmac.new(credentials.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256).digest()
    ).decode()
    body = {
        "access_token": session.token, "instance_url": base, "id": identity, "token_type": "Bearer",
        "issued_at": issued_at, "signature": signature,
    }
    if grant_type != "password":
        body["scope"] = "api"
    return JSONResponse(body)


async def _form(request: Request) -> dict[str, str]:
    parsed = parse_qs((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    parsed.update({key: [value] for key, value in request.query_params.items() if key not in parsed})
    return {key: values[0] for key, values in parsed.items()}


@router.post("/services/oauth2/token")
async def token_endpoint(request: Request) -> JSONResponse:
    return token_response(request, await _form(request))


@router.post("/")
async def login_at_root(request: Request) -> Response:
    """``domain="127.0.0.1:PORT#"`` makes clients post both logins to ``/``: dispatch on the content type."""
    if "xml" in request.headers.get("content-type", ""):
        return soap_login(request, await request.body(), "59.0")
    return token_response(request, await _form(request))
