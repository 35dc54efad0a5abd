"""A small JSON client for the services' public APIs, with errors an operator can act on."""
from __future__ import annotations

import re
import threading
from typing import Any

import requests

from .config import Settings


_PARAM = re.compile(r"{[^}]*}")


def _template(path: str) -> str:
    """Path parameter names do not matter when matching operations: /a/{x}/b is /a/{y}/b."""
    return _PARAM.sub("{}", path)


class OpsError(Exception):
    """Something the operator must hear about in one line; the CLI prints it and exits 1."""


class NotAvailable(OpsError):
    """The service runs, but this version of it does not serve the endpoint (yet)."""


class ServiceError(OpsError):
    def __init__(self, service: str, method: str, path: str, status: int, body: Any):
        self.service, self.method, self.path, self.status, self.body = service, method, path, status, body
        errors = body.get("errors") if isinstance(body, dict) else None
        super().__init__(f"{service} answered {method} {path} with {status}: {errors or body}")


class Client:
    """One ``requests`` session per thread (sessions are not thread-safe), shared settings."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._local = threading.local()
        self._openapi: dict[str, set[tuple[str, str]]] = {}

    @property
    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def url(self, service: str, path: str) -> str:
        return self.settings.urls[service] + path

    def request(self, service: str, method: str, path: str, *, params=None, json=None, headers=None,
                ok=(200, 201, 202)) -> requests.Response:
        try:
            response = self.session.request(method, self.url(service, path), params=params, json=json,
                                            headers=headers, timeout=self.settings.timeout)
        except requests.ConnectionError as exc:
            raise OpsError(f"{service} is not reachable at {self.settings.urls[service]} "
                           f"(is the platform running? set {service.upper()}_URL or --url)") from exc
        except requests.Timeout as exc:
            raise OpsError(f"{service} did not answer {method} {path} within {self.settings.timeout:.0f}s") from exc
        if response.status_code not in ok:
            try:
                body = response.json()
            except ValueError:
                body = response.text[:500]
            raise ServiceError(service, method, path, response.status_code, body)
        return response

    def get(self, service: str, path: str, params=None, ok=(200,)) -> Any:
        return self.request(service, "GET", path, params=params, ok=ok).json()

    def post(self, service: str, path: str, body: Any, *, key: str | None = None, ok=(200, 201, 202)) -> Any:
        headers = {"Idempotency-Key": key} if key else None
        response = self.request(service, "POST", path, json=body, headers=headers, ok=ok)
        return response.json() if response.content else None

    def operations(self, service: str) -> set[tuple[str, str]]:
        """(METHOD, path template) pairs the service documents in its OpenAPI, read once."""
        if service not in self._openapi:
            document = self.get(service, "/api/v1/openapi.json")
            self._openapi[service] = {
                (method.upper(), _template(path)) for path, item in document.get("paths", {}).items() for method in item
                if method in ("get", "post", "put", "patch", "delete")
            }
        return self._openapi[service]

    def require(self, service: str, method: str, template: str, what: str) -> None:
        """Fails with a plain sentence when the running service does not offer ``method template``."""
        if (method, _template(template)) not in self.operations(service):
            raise NotAvailable(
                f"{what} is not available: {service} at {self.settings.urls[service]} does not serve "
                f"{method} {template} (not in its OpenAPI). It arrives with a newer {service}; "
                f"`aftersales {what.split()[0]} --help` lists what each subcommand needs.")

    def offers(self, service: str, method: str, template: str) -> bool:
        try:
            return (method, _template(template)) in self.operations(service)
        except OpsError:
            return False
