"""Intake's settings from the environment; parsing only."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from aftersales_shared.config import ConfigError, MessagingSettings, env_int

DEFAULT_RESOLVE_HOURS = {"P1": 6, "P2": 24, "P3": 48, "P4": 72}


def _pairs(environ: Mapping[str, str], name: str, default: Mapping[str, int]) -> Mapping[str, int]:
    raw = environ.get(name)
    if not raw:
        return MappingProxyType(dict(default))
    result = dict(default)
    for item in raw.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip().isdigit():
            raise ConfigError(f"{name} must look like 'key=hours,key=hours', got {raw!r}")
        result[key.strip()] = int(value)
    return MappingProxyType(result)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/intake.db"
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    warranty_months: int = 12
    warranty_months_by_category: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    respond_hours: int = 4
    resolve_hours: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(dict(DEFAULT_RESOLVE_HOURS)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        resolve = _pairs(environ, "SLA_RESOLVE_HOURS", DEFAULT_RESOLVE_HOURS)
        unknown = set(resolve) - set(DEFAULT_RESOLVE_HOURS)
        if unknown:
            raise ConfigError(f"SLA_RESOLVE_HOURS names unknown priorities {sorted(unknown)}")
        return cls(
            database_url=environ.get("DATABASE_URL") or "sqlite:///var/intake.db",
            messaging=MessagingSettings.from_env(environ),
            warranty_months=env_int(environ, "WARRANTY_MONTHS", 12, minimum=0),
            warranty_months_by_category=_pairs(environ, "WARRANTY_MONTHS_BY_CATEGORY", {}),
            respond_hours=env_int(environ, "SLA_RESPOND_HOURS", 4, minimum=1),
            resolve_hours=resolve,
        )
