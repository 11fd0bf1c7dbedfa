"""The control API of the second org (``second_org=true``), as a service: the same routes as the first org's
(sandbox/control/app.py) over that org, plain HTTP on 127.0.0.1, announced as ``SANDBOX_CONTROL_2_URL``. Lets a
process that runs the sandbox elsewhere (the crash harness) change the second org and read its true contents.
(Its package sorts after ``salesforce_2``, whose org it needs built first.)"""

from __future__ import annotations

from ..control.app import create_app
from ..server import SandboxContext, Service


def build_service(context: SandboxContext) -> Service | None:
    second = context.services.get("salesforce_2")
    if second is None:
        return None
    return Service(name="control_2", app=create_app(second.controller), tls=False, port=context.port("control_2"),
                   env=lambda url: {"SANDBOX_CONTROL_2_URL": url})
