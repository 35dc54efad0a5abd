"""Readiness: what a process needs to do its work, and what it only reports.

A web process needs its database; the outbox holds its events while the broker is away, so the
broker's state is reported but does not take the web tier out of service. Consumers and relays need
both. Bodies name each dependency's state, never an internal error text (that goes to the log).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from typing import Callable, Mapping
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import REGISTRY, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import Engine, text

from .amqp import blocking_connection
from .config import MessagingSettings
from .db import reader

log = logging.getLogger(__name__)
Check = Callable[[], None]


def database_check(engine: Engine) -> Check:
    readonly = reader(engine)

    def check() -> None:
        with readonly.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


def broker_check(settings: MessagingSettings, queue: str | None = None) -> Check:
    """Passive declares fail when the exchange (or this service's queue) was never declared."""

    def check() -> None:
        connection = blocking_connection(settings, "readiness-probe", timeout=2)
        try:
            channel = connection.channel()
            channel.exchange_declare(settings.exchange, "topic", passive=True)
            if queue:
                channel.queue_declare(queue, passive=True)
        finally:
            connection.close()

    return check


def flag_check(flag: Callable[[], bool], what: str) -> Check:
    def check() -> None:
        if not flag():
            raise RuntimeError(f"{what} is not running")

    return check


class Readiness:
    def __init__(self, required: Mapping[str, Check], reported: Mapping[str, Check] | None = None):
        self.required = dict(required)
        self.reported = dict(reported or {})

    def evaluate(self) -> tuple[dict, bool]:
        states, ready = {}, True
        for name, check in {**self.reported, **self.required}.items():
            try:
                check()
                states[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means unavailable; the reason is logged
                log.warning("readiness: %s unavailable: %s: %s", name, type(exc).__name__, exc)
                states[name] = "unavailable"
                ready = ready and name not in self.required
        return {"ready": ready, "checks": states, "required": sorted(self.required)}, ready


class UnroutableCollector:
    """How many messages sit in the unroutable queue (nothing bound took them), read from the broker."""

    def __init__(self, settings: MessagingSettings, max_age_seconds: float = 5.0):
        self.settings = settings
        self.max_age_seconds = max_age_seconds
        self._cached: tuple[float, int | None] = (0.0, None)

    def depth(self) -> int | None:
        taken_at, depth = self._cached
        if time.monotonic() - taken_at < self.max_age_seconds:
            return depth
        try:
            connection = blocking_connection(self.settings, "unroutable-probe", timeout=2)
            try:
                depth = connection.channel().queue_declare(
                    self.settings.unroutable_exchange, passive=True).method.message_count
            finally:
                connection.close()
        except Exception:  # noqa: BLE001 - an unreachable broker or a missing queue: no reading
            depth = None
        self._cached = (time.monotonic(), depth)
        return depth

    def collect(self):
        depth = self.depth()
        if depth is not None:
            gauge = GaugeMetricFamily("unroutable_messages", "Messages no queue was bound for, held for an operator")
            gauge.add_metric([], depth)
            yield gauge


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - probes every few seconds would drown the log
        pass


def serve_health(port: int, service: str, role: str, readiness: Readiness) -> WSGIServer:
    """/healthz, /readyz and /metrics for a process that has no web server of its own."""
    metrics_app = make_wsgi_app(REGISTRY)

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok", "service": service, "role": role})
        if path == "/readyz":
            body, ready = readiness.evaluate()
            return _json(start_response, 200 if ready else 503, body)
        return _json(start_response, 404, {"errors": {"path": [f"No route {path}."]}})

    server = make_server("0.0.0.0", port, app, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name=f"{service}-{role}-health", daemon=True).start()
    return server


def _json(start_response, status: int, body: dict):
    payload = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(payload)))])
    return [payload]
