"""Serving the sandbox: every service (an ASGI app on its own port, over HTTPS or plain HTTP) in one process.

Adding a service
----------------
Create a subpackage ``sandbox/<name>/`` with a module ``service.py`` defining::

    def build_service(context: SandboxContext) -> Service | None:   # None: not served with these options
        return Service(name="<name>", app=my_asgi_app, tls=False, port=context.port("<name>"),
                       env=lambda url: {"<NAME>_URL": url})

``Sandbox`` finds it by that convention (``salesforce`` first, the others in alphabetical order), binds its port
(``0`` = any free port; ``--extra <name>_port=N`` pins it), and prints the ``KEY=value`` lines its ``env(url)``
returns after the earlier services' lines and before ``SANDBOX_READY``. ``context.options`` holds the
``--extra key=value`` pairs, ``context.services`` the services built before it (e.g. ``["salesforce"].controller``
is the org's Python API) and ``context.env`` their printed lines (filled once their ports are bound, before any
request is served).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import pkgutil
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .tls import TlsFiles, ensure_tls_files

FIRST_SERVICE = "salesforce"
STARTUP_TIMEOUT_SECONDS = 60


def _not_shutdown_timeout(record: logging.LogRecord) -> bool:
    # clients keep TLS connections alive; stopping then always hits uvicorn's graceful-shutdown timeout
    return "timeout graceful shutdown exceeded" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_not_shutdown_timeout)


@dataclass(frozen=True)
class Service:
    """One served app: its printed lines come from ``env(base_url)``; ``controller`` is its Python API."""

    name: str
    app: ASGIApp
    tls: bool
    port: int = 0
    env: Callable[[str], dict[str, str]] = lambda url: {}
    controller: Any = None
    close: Callable[[], None] | None = None


@dataclass
class SandboxContext:
    state_dir: Path
    seed: int
    scale: float
    host: str
    tls: TlsFiles
    options: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    def port(self, name: str) -> int:
        """The port asked for service ``name``: ``ports[name]``, else ``--extra <name>_port=N``, else 0 (free)."""
        if name in self.ports:
            return self.ports[name]
        return int(self.options.get(f"{name}_port", 0))


ServiceFactory = Callable[[SandboxContext], Service | None]


def discover_service_factories() -> list[ServiceFactory]:
    """``build_service`` of every ``sandbox.<package>.service`` module, salesforce first."""
    package_dir = Path(__file__).parent
    names = sorted(
        info.name for info in pkgutil.iter_modules([str(package_dir)])
        if info.ispkg and (package_dir / info.name / "service.py").exists()
    )
    names.sort(key=lambda name: name != FIRST_SERVICE)
    return [importlib.import_module(f"{__package__}.{name}.service").build_service for name in names]


@dataclass
class _Running:
    service: Service
    socket: socket.socket
    url: str
    server: uvicorn.Server | None = None


class Sandbox:
    """The sandbox's services, started in a background thread.

        with Sandbox(state_dir, seed=42, scale=0.2) as sb:
            sb.salesforce_url, sb.ca_bundle, sb.username, sb.org.count("Account"), sb.env()
    """

    def __init__(self, state_dir: Path | str, *, seed: int = 42, scale: float = 1.0, host: str = "127.0.0.1",
                 salesforce_port: int = 0, options: dict[str, str] | None = None, **more_options: object):
        """``options`` and any further keyword arguments (e.g. ``manifest=path``) become ``context.options``."""
        self.state_dir = Path(state_dir).resolve()
        self.seed = seed
        self.scale = scale
        self.host = host
        self.options = {**(options or {}), **{key: str(value) for key, value in more_options.items()}}
        self.ports = {FIRST_SERVICE: salesforce_port}
        self._running: list[_Running] = []
        self._thread: threading.Thread | None = None
        self._env: dict[str, str] = {}

    # --- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> Sandbox:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tls = ensure_tls_files(self.state_dir)
        context = SandboxContext(
            state_dir=self.state_dir, seed=self.seed, scale=self.scale, host=self.host, tls=tls,
            options=self.options, ports=self.ports, env=self._env,
        )
        try:
            for factory in discover_service_factories():
                service = factory(context)
                if service is None:  # a service that its options leave off (e.g. the second org)
                    continue
                context.services[service.name] = service
                listener = _bind(self.host, service.port)
                scheme = "https" if service.tls else "http"
                url = f"{scheme}://{self.host}:{listener.getsockname()[1]}"
                self._running.append(_Running(service, listener, url))
                self._env.update(service.env(url))
            self._serve(tls)
        except BaseException:
            self.stop()
            raise
        return self

    def _serve(self, tls: TlsFiles) -> None:
        for running in self._running:
            ssl = {"ssl_keyfile": str(tls.server_key), "ssl_certfile": str(tls.server_cert)} if running.service.tls else {}
            config = uvicorn.Config(
                running.service.app, lifespan="off", log_level="warning", access_log=False,
                timeout_graceful_shutdown=0.5, **ssl,
            )
            running.server = uvicorn.Server(config)
        failures: list[BaseException] = []

        async def serve_all() -> None:
            await asyncio.gather(*(r.server.serve(sockets=[r.socket]) for r in self._running))

        def run() -> None:
            try:
                asyncio.run(serve_all())
            except BaseException as error:  # reported to start() below
                failures.append(error)

        self._thread = threading.Thread(target=run, name="sandbox-servers", daemon=True)
        self._thread.start()
        for running in self._running:
            while not running.server.started:
                if failures or not self._thread.is_alive():
                    raise RuntimeError(f"sandbox server {running.service.name} failed to start") from (
                        failures[0] if failures else None
                    )
                self._thread.join(0.02)

    def stop(self) -> None:
        for running in self._running:
            if running.server is not None:
                running.server.should_exit = True
        if self._thread is not None:
            self._thread.join(STARTUP_TIMEOUT_SECONDS)
            self._thread = None
        for running in reversed(self._running):
            running.socket.close()
            if running.service.close is not None:
                running.service.close()
        self._running.clear()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- what clients need ------------------------------------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The ``KEY=value`` lines the CLI prints, in order."""
        return dict(self._env)

    def url(self, service_name: str) -> str:
        return next(r.url for r in self._running if r.service.name == service_name)

    def controller(self, service_name: str) -> Any:
        return next(r.service.controller for r in self._running if r.service.name == service_name)

    def __getattr__(self, name: str) -> str:
        """Every printed line is an attribute too: ``sb.hightouch_url`` is the ``HIGHTOUCH_URL`` value."""
        env = self.__dict__.get("_env", {})
        if name.upper() in env:
            return env[name.upper()]
        raise AttributeError(name)

    @property
    def org(self):
        """The Salesforce org's Python control API (``sandbox.salesforce.org.SalesforceOrg``)."""
        return self.controller(FIRST_SERVICE)

    @property
    def salesforce_url(self) -> str:
        return self._env["SALESFORCE_URL"]

    @property
    def ca_bundle(self) -> str:
        return self._env["CA_BUNDLE"]

    @property
    def username(self) -> str:
        return self._env["SALESFORCE_USERNAME"]

    @property
    def password(self) -> str:
        return self._env["SALESFORCE_PASSWORD"]

    @property
    def security_token(self) -> str:
        return self._env["SALESFORCE_TOKEN"]

    @property
    def client_id(self) -> str:
        return self._env["SALESFORCE_CLIENT_ID"]

    @property
    def client_secret(self) -> str:
        return self._env["SALESFORCE_CLIENT_SECRET"]


def _bind(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(128)
    listener.set_inheritable(True)
    return listener
