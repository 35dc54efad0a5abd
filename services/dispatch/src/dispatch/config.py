"""Dispatch's settings from the environment; parsing only."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from aftersales_shared.config import ConfigError, MessagingSettings
from aftersales_shared.topology import REGION

DEFAULT_DATABASE_URL = "sqlite:///var/dispatch.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    # DISPATCH_REGIONS=north,east: this process consumes one queue per region (dispatch.events.<region>,
    # bound to <type>.<region>.#); empty: the one queue taking every region.
    regions: tuple[str, ...] = ()
    breach_check_seconds: float = 30.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        return cls(
            database_url=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            messaging=MessagingSettings.from_env(environ),
            regions=parse_regions(environ.get("DISPATCH_REGIONS", "")),
            breach_check_seconds=float(environ.get("SLA_BREACH_CHECK_SECONDS") or 30.0),
        )


def parse_regions(raw: str) -> tuple[str, ...]:
    regions = tuple(part.strip() for part in raw.split(",") if part.strip())
    bad = [region for region in regions if not REGION.fullmatch(region) or region in ("dlq", "retry")]
    if bad or len(set(regions)) != len(regions):
        raise ConfigError(f"DISPATCH_REGIONS must list distinct regions (letters, digits, '-'), got {raw!r}")
    return regions
