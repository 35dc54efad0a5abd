"""FRACAS's settings from the environment; parsing only."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from aftersales_shared.config import ConfigError, MessagingSettings

from .domain.detection import DetectionRules


def _number(environ: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/fracas.db"
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    # When a problem opens by itself: see domain.detection.
    detection: DetectionRules = field(default_factory=DetectionRules)
    detection_every_seconds: float = 900.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        return cls(
            database_url=environ.get("DATABASE_URL") or "sqlite:///var/fracas.db",
            messaging=MessagingSettings.from_env(environ),
            detection=DetectionRules(
                alpha=_number(environ, "FRACAS_BATCH_ALPHA", 0.001, 1e-12, 0.5),
                rate_threshold=_number(environ, "FRACAS_RATE_THRESHOLD", 0.02, 1e-9, 1.0),
                rate_alpha=_number(environ, "FRACAS_RATE_ALPHA", 0.01, 1e-12, 0.5),
                min_failures=int(_number(environ, "FRACAS_MIN_FAILURES", 3, 1, 1_000_000)),
            ),
            detection_every_seconds=_number(environ, "FRACAS_DETECTION_EVERY_SECONDS", 900.0, 1.0, 86_400.0),
        )
