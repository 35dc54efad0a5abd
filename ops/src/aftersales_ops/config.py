"""Where the services are: the same environment `make run` reads, so the CLI finds what it started.

A service's base URL is ``<SERVICE>_URL`` when set, else ``http://<HOST>:<SERVICE>_PORT`` with the
ports `make run` uses by default. The broker is ``AMQP_URL`` with the services' own messaging settings
(queue names, dead-letter and unroutable exchanges), read by the shared configuration.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from aftersales_shared.config import MessagingSettings

SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")
DEFAULT_PORTS = {"intake": 8001, "dispatch": 8002, "inventory": 8003, "billing": 8004, "fracas": 8005}


@dataclass(frozen=True)
class Settings:
    urls: dict[str, str]
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    timeout: float = 10.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None,
                 timeout: float = 10.0) -> "Settings":
        environ = os.environ if environ is None else environ
        host = environ.get("HOST") or "127.0.0.1"
        urls = {}
        for service in SERVICES:
            port = environ.get(f"{service.upper()}_PORT") or DEFAULT_PORTS[service]
            urls[service] = (environ.get(f"{service.upper()}_URL") or f"http://{host}:{port}").rstrip("/")
        urls.update({service: url.rstrip("/") for service, url in (overrides or {}).items()})
        return cls(urls=urls, messaging=MessagingSettings.from_env(environ), timeout=timeout)


def parse_url_overrides(values: list[str]) -> dict[str, str]:
    """``--url billing=http://host:9004`` (repeatable) → {"billing": "http://host:9004"}."""
    overrides = {}
    for value in values:
        service, sep, url = value.partition("=")
        if not sep or service not in SERVICES or not url.startswith(("http://", "https://")):
            raise ValueError(f"--url wants <service>=<http(s) url> with a service among {', '.join(SERVICES)}, "
                             f"got {value!r}")
        overrides[service] = url
    return overrides
