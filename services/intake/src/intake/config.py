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


def _codes(environ: Mapping[str, str], name: str) -> frozenset:
    return frozenset(code.strip() for code in environ.get(name, "").split(",") if code.strip())


def _voiding(environ: Mapping[str, str], name: str) -> Mapping[str, frozenset]:
    """``category=condition|condition,category=...``: the conditions that void that category's warranty."""
    raw = environ.get(name, "")
    result = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        category, sep, conditions = item.partition("=")
        if not sep or not category.strip():
            raise ConfigError(f"{name} must look like 'category=condition|condition,...', got {raw!r}")
        result[category.strip()] = frozenset(c.strip() for c in conditions.split("|") if c.strip())
    return MappingProxyType(result)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/intake.db"
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    warranty_months: int = 12
    warranty_months_by_category: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    respond_hours: int = 4
    resolve_hours: Mapping[str, int] = field(default_factory=lambda: MappingProxyType(dict(DEFAULT_RESOLVE_HOURS)))
    warranty_voiding_by_category: Mapping[str, frozenset] = field(default_factory=lambda: MappingProxyType({}))
    quote_required_sites: frozenset = frozenset()
    callback_attempts: int = 3
    escalation_hours: int = 4
    # Fernet key the partners' secrets are encrypted with; never logged, never in a committed file.
    partner_secrets_key: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        # The key stays out of any log line that prints the settings.
        return f"Settings(database_url=<set>, partner_secrets_key={'<set>' if self.partner_secrets_key else None})"

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
            warranty_voiding_by_category=_voiding(environ, "WARRANTY_VOIDING_BY_CATEGORY"),
            quote_required_sites=_codes(environ, "QUOTE_REQUIRED_SITES"),
            callback_attempts=env_int(environ, "CALLBACK_MAX_ATTEMPTS", 3, minimum=1),
            escalation_hours=env_int(environ, "ESCALATION_HOURS", 4, minimum=1),
            partner_secrets_key=environ.get("PARTNER_SECRETS_KEY") or None,
        )
