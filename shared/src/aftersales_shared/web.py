"""Flask plumbing every service shares: OpenAPI, JSON errors, health, readiness and metrics."""
from __future__ import annotations

import logging
import os
import re
import time
import uuid
from typing import Callable, Iterable

import flask_smorest
from flask import Flask, Response, g, jsonify, request
from prometheus_client import Histogram
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .config import env_int
from .health import Check, Readiness, UnroutableCollector, broker_check, database_check
from .logs import configure_logging, correlation
from .metrics import metrics_response, outbox_metrics

log = logging.getLogger(__name__)
# Room for the largest documented request (10,000 installed units at their longest) with margin.
DEFAULT_MAX_REQUEST_BYTES = 8 * 1024 * 1024


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(flask_smorest.Blueprint):
    """Bad input is a 400 with field errors, as the contract asks."""

    ARGUMENTS_PARSER = _Parser()

    def arguments(self, schema, **kwargs):
        # Given a class, webargs builds the schema (and, lazily, each nested one) again on every request:
        # a fifth of a creating POST. Schemas keep no per-load state, so one instance serves all requests.
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


def field_errors(data) -> dict:
    """webargs nests errors under their location ({"json": {...}}); callers want the fields themselves."""
    if not isinstance(data, dict):
        return {"request": [str(data)]}
    errors = data.get("errors", data.get("messages"))
    if not isinstance(errors, dict):
        return {}
    flat: dict = {}
    for location, messages in errors.items():
        if location in ("json", "query", "querystring", "headers", "form", "view_args") and isinstance(messages, dict):
            flat.update(messages)
        elif location in ("json", "query", "querystring") and isinstance(messages, list):
            flat.setdefault("body" if location == "json" else "query", []).extend(messages)
        else:
            flat[location] = messages
    return flat


class Api(flask_smorest.Api):
    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = field_errors(data) or {"request": [data.get("message") or error.description]}
        payload = {"code": error.code, "status": error.name, "errors": errors}
        if data.get("message"):
            payload["message"] = data["message"]
        return payload, error.code, data.get("headers", {})


def _body(limit: int) -> bytes:
    """The request body, or a 413 when it is larger than ``limit``.

    werkzeug stops reading a body sent without a length (chunked) at the limit without saying so; one byte
    more left on the wire means it was too large.
    """
    data = request.get_data()
    if request.content_length is None and len(data) >= limit and request.environ["wsgi.input"].read(1):
        raise RequestEntityTooLarge()
    return data


REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds", "Time to answer a request, by route and status",
    ["service", "method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
SLOW_REQUEST_SECONDS = 1.0
_CORRELATION_HEADER = "X-Correlation-Id"
_CORRELATION = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def _observe_requests(app: Flask, service: str) -> None:
    """Each request runs under a correlation id (the caller's X-Correlation-Id, else a new one), is timed
    into a histogram, and is logged when it failed or was slow (the histogram covers the rest)."""

    @app.before_request
    def _start():
        offered = request.headers.get(_CORRELATION_HEADER, "")
        g.correlation_token = correlation.set(offered if _CORRELATION.match(offered) else str(uuid.uuid4()))
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        seconds = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        REQUEST_SECONDS.labels(service, request.method, route, str(response.status_code)).observe(seconds)
        response.headers[_CORRELATION_HEADER] = correlation.get() or ""
        if response.status_code >= 400 or seconds >= SLOW_REQUEST_SECONDS:
            log.info("%s %s -> %d in %.0f ms", request.method, request.path, response.status_code, seconds * 1000,
                     extra={"fields": {"method": request.method, "path": request.path,
                                       "status": response.status_code, "ms": round(seconds * 1000, 1)}})
        return response

    @app.teardown_request
    def _forget(_error):
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation.reset(token)


def create_base_app(
    service: str,
    *,
    title: str,
    version: str = "1.0.0",
    readiness_checks: dict[str, Check],
    reported_checks: dict[str, Check] | None = None,
    blueprints: Iterable[flask_smorest.Blueprint],
    extra_metrics: Callable[[], bytes] | None = None,
    max_request_bytes: int | None = None,
) -> Flask:
    """``max_request_bytes`` defaults to env ``MAX_REQUEST_BYTES`` (8 MiB); a larger body is a 413."""
    if max_request_bytes is None:
        max_request_bytes = env_int(os.environ, "MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, minimum=1)
    app = Flask(service)
    # A readiness probe of an absent broker is expected and reported; pika would log each as an ERROR.
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    app.config.update(
        MAX_CONTENT_LENGTH=max_request_bytes,
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    api = Api(app)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)

    _observe_requests(app, service)

    @app.before_request
    def _require_json_body():
        if request.method in ("POST", "PUT", "PATCH") and _body(max_request_bytes) and not request.is_json:
            return jsonify(errors={"body": ["Content-Type must be application/json."]}, code=400), 400
        return None

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(error):
        message = f"Request body is larger than the {max_request_bytes} bytes allowed."
        return jsonify(code=413, status=error.name, errors={"body": [message]}), 413

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return api.handle_http_exception(error)
        log.exception("unhandled error in %s %s", request.method, request.path)
        return jsonify(code=500, status="Internal Server Error", errors={"server": ["Internal error; it was logged."]}), 500

    @app.get("/healthz")
    def healthz():
        return {"status": "ok", "service": service}

    readiness = Readiness(required=readiness_checks, reported=reported_checks)

    @app.get("/readyz")
    def readyz():
        body, ready = readiness.evaluate()
        return body, 200 if ready else 503

    @app.get("/metrics")
    def metrics():
        body, content_type = metrics_response(extra_metrics)
        return Response(body, content_type=content_type)

    return app


def create_service_app(container, *, title: str, blueprints: Iterable[flask_smorest.Blueprint]) -> Flask:
    """A service's app: ready when its database is; broker state and outbox lag reported; JSON logs.

    ``container`` is what the service's bootstrap built; views find it in ``app.extensions[<service>]``.
    """
    from .outbox_status import outbox_status  # these blueprints are built from this module's own
    from .trail import trail

    runtime = container.runtime
    configure_logging(runtime.service, "web")
    outbox_lag = outbox_metrics(runtime.service, runtime.engine, runtime.outbox,
                                UnroutableCollector(runtime.messaging))
    app = create_base_app(
        runtime.service,
        title=title,
        blueprints=[*blueprints, trail, outbox_status],
        readiness_checks={"database": database_check(runtime.engine)},
        reported_checks={"broker": broker_check(runtime.messaging)},
        extra_metrics=outbox_lag,
    )
    app.extensions[runtime.service] = container
    app.extensions["runtime"] = runtime
    return app
