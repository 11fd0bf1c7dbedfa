"""The control API as a sandbox service: plain HTTP on 127.0.0.1, announced as ``SANDBOX_CONTROL_URL``."""

from __future__ import annotations

from ..server import SandboxContext, Service
from .app import create_app


def build_service(context: SandboxContext) -> Service:
    org = context.services["salesforce"].controller
    return Service(
        name="control", app=create_app(org), tls=False, port=context.port("control"),
        env=lambda url: {"SANDBOX_CONTROL_URL": url},
    )
