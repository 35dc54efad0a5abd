"""The platform started the way `make run` starts it (deploy/run_local.py), in a sandbox of its own.

- ``Sandbox``: a fresh broker vhost and, for PostgreSQL, a fresh database per service; removed on exit.
- ``start_platform``: deploy/run_local.py on free ports with its own VAR_DIR; returns once every
  service answers /readyz.
- ``HttpClient``: keep-alive JSON client, one connection per thread and service, retrying what is
  safe to retry (requests carrying an Idempotency-Key, or whose repeat is answered with 409).
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from aftersales_shared.testing.amqp import create_vhost, delete_vhost
from aftersales_shared.testing.postgres import create_database, drop_database

from .measure import process_role, process_tree

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sandbox:
    """A vhost (and with ``database="postgresql"`` one database per name in ``databases``, by default
    one per service) made for one run.

    ``amqp_url`` points at the vhost; ``database_urls`` maps each name to its SQLAlchemy URL, and is
    empty for SQLite (each service then keeps its file under the platform's VAR_DIR).
    """

    def __init__(self, database: str = "sqlite", base_amqp_url: str | None = None, name: str | None = None,
                 databases: Sequence[str] = SERVICES):
        if database not in ("sqlite", "postgresql"):
            raise ValueError(f"database must be sqlite or postgresql, got {database!r}")
        self.database = database
        self.base_amqp_url = base_amqp_url or os.environ.get("AMQP_URL") or DEFAULT_AMQP_URL
        self.name = name or f"bench-{uuid.uuid4().hex[:8]}"
        self.vhost = self.name
        self.amqp_url = ""
        self.databases = tuple(databases)
        self.database_urls: dict[str, str] = {}
        self._databases: list[str] = []

    def __enter__(self) -> "Sandbox":
        self.amqp_url = create_vhost(self.base_amqp_url, self.vhost)
        try:
            if self.database == "postgresql":
                for purpose in self.databases:
                    name = f"{self.name}_{purpose}".replace("-", "_")
                    self.database_urls[purpose] = create_database(name)
                    self._databases.append(name)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        for name in self._databases:
            drop_database(name)
        self._databases.clear()
        delete_vhost(self.base_amqp_url, self.vhost)


@dataclass
class Platform:
    process: subprocess.Popen
    ports: dict[str, int]
    var_dir: Path
    log_path: Path
    amqp_url: str
    database: str
    urls: dict[str, str] = field(init=False)

    def __post_init__(self):
        self.urls = {service: f"http://127.0.0.1:{port}" for service, port in self.ports.items()}

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, service: str, path: str = "") -> str:
        return self.urls[service] + path

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def not_ready(self) -> list[str]:
        """Services whose /readyz does not answer 200 right now."""
        pending = []
        for service in SERVICES:
            try:
                status, _ = HttpClient.once(self.url(service, "/readyz"), timeout=2)
            except OSError:
                status = None
            if status != 200:
                pending.append(service)
        return pending

    def metric(self, service: str, name: str) -> float | None:
        """The value of an unlabelled-or-single-series Prometheus metric from a service's /metrics."""
        try:
            status, text = HttpClient.once(self.url(service, "/metrics"), timeout=5, raw=True)
        except OSError:
            return None
        if status != 200:
            return None
        for line in text.splitlines():
            if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
                return float(line.rsplit(" ", 1)[1])
        return None

    def processes(self) -> dict[str, int]:
        """The platform's service processes by name (``intake-web``, ``dispatch-consumer``,
        ``billing-relay``, ...) and pid; a web server is its gunicorn master. For fault injection."""
        found = {}
        for pid in process_tree(self.pid):
            role = process_role(pid)
            # The master comes before its workers in the tree: the first of a role is kept.
            if role.split("-", 1)[0] in SERVICES and role not in found:
                found[role] = pid
        return found

    def stop(self, timeout: float = 60.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def __enter__(self) -> "Platform":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def start_platform(var_dir: Path, amqp_url: str, database_urls: Mapping[str, str] | None = None,
                   env: Mapping[str, str] | None = None, timeout: float = 180.0) -> Platform:
    """Runs deploy/run_local.py on free ports with ``var_dir`` as VAR_DIR; waits until all are ready.

    ``env`` is added on top of this process's environment (e.g. ``WEB_WORKERS``); everything else is
    `make run`'s defaults. Raises RuntimeError with the log's tail when the platform does not come up.
    """
    var_dir = Path(var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    ports = {service: free_port() for service in SERVICES}
    child_env = dict(os.environ)
    child_env.update(env or {})
    child_env.update({f"{service.upper()}_PORT": str(port) for service, port in ports.items()})
    for service in SERVICES:
        child_env.pop(f"{service.upper()}_DATABASE_URL", None)
    child_env.update({f"{service.upper()}_DATABASE_URL": url for service, url in (database_urls or {}).items()})
    child_env.update(VAR_DIR=str(var_dir), AMQP_URL=amqp_url, PYTHONUNBUFFERED="1")
    log_path = var_dir / "platform.log"
    with log_path.open("w") as log_file:
        process = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "run_local.py")], env=child_env,
                                   stdout=log_file, stderr=subprocess.STDOUT, cwd=ROOT)
    platform = Platform(process, ports, var_dir, log_path, amqp_url,
                        "postgresql" if database_urls else "sqlite")
    deadline = time.monotonic() + timeout
    while platform.not_ready():
        if process.poll() is not None or time.monotonic() > deadline:
            platform.stop()
            raise RuntimeError(f"the platform did not become ready within {timeout:.0f}s:\n{platform.log_tail()}")
        time.sleep(0.3)
    return platform


class HttpError(RuntimeError):
    pass


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    attempts: int


class HttpClient:
    """JSON over HTTP/1.1 keep-alive; each thread gets its own connection per host."""

    RETRIABLE = (ConnectionError, http.client.HTTPException, socket.timeout, OSError)

    def __init__(self, timeout: float = 30.0, attempts: int = 5, backoff: float = 0.2):
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self._local = threading.local()

    def _connection(self, host: str, port: int) -> http.client.HTTPConnection:
        connections = self._local.__dict__.setdefault("connections", {})
        connection = connections.get((host, port))
        if connection is None:
            connection = connections[(host, port)] = http.client.HTTPConnection(host, port, timeout=self.timeout)
        return connection

    def _drop(self, host: str, port: int) -> None:
        connection = self._local.__dict__.get("connections", {}).pop((host, port), None)
        if connection is not None:
            connection.close()

    def request(self, method: str, url: str, body: Any = None, headers: Mapping[str, str] | None = None,
                retry_statuses: tuple[int, ...] = (502, 503, 504)) -> Reply:
        """Status, decoded JSON (or text, or None) and attempts made. Retries broken connections and
        ``retry_statuses``; only call it for requests that are safe to repeat."""
        host, port, path = _split(url)
        payload = None if body is None else json.dumps(body).encode()
        sent_headers = {"Accept": "application/json", **(headers or {})}
        if payload is not None:
            sent_headers["Content-Type"] = "application/json"
        last: BaseException | None = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            connection = self._connection(host, port)
            try:
                connection.request(method, path, body=payload, headers=sent_headers)
                response = connection.getresponse()
                data = response.read()
                if response.will_close:
                    self._drop(host, port)
            except self.RETRIABLE as exc:
                self._drop(host, port)
                last = exc
                continue
            if response.status in retry_statuses and attempt < self.attempts - 1:
                last = HttpError(f"{method} {url}: {response.status}")
                continue
            try:
                decoded = json.loads(data) if data else None
            except ValueError:
                decoded = data.decode(errors="replace")
            return Reply(response.status, decoded, attempt + 1)
        raise HttpError(f"{method} {url} failed after {self.attempts} attempts: {last!r}")

    def get(self, url: str, **kwargs) -> Reply:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, body: Any, **kwargs) -> Reply:
        return self.request("POST", url, body, **kwargs)

    @staticmethod
    def once(url: str, timeout: float = 5.0, raw: bool = False) -> tuple[int, Any]:
        """One GET on a fresh connection; raises OSError when nothing answers."""
        host, port, path = _split(url)
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            data = response.read()
        except http.client.HTTPException as exc:
            raise OSError(str(exc)) from exc
        finally:
            connection.close()
        if raw:
            return response.status, data.decode(errors="replace")
        try:
            return response.status, json.loads(data) if data else None
        except ValueError:
            return response.status, data.decode(errors="replace")


def _split(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname or "127.0.0.1", parts.port or 80, path
