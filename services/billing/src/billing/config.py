"""Billing's settings from the environment; parsing only (the fee schedule file is read at bootstrap)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from aftersales_shared.config import MessagingSettings, env_float


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/billing.db"
    messaging: MessagingSettings = field(default_factory=MessagingSettings)
    # None: the schedule shipped with the package.
    fee_schedule_path: str | None = None
    # How often held jobs are looked at again (a safety net; a price arriving settles them at once).
    held_jobs_every_seconds: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        return cls(
            database_url=environ.get("DATABASE_URL") or "sqlite:///var/billing.db",
            messaging=MessagingSettings.from_env(environ),
            fee_schedule_path=environ.get("FEE_SCHEDULE_PATH") or None,
            held_jobs_every_seconds=env_float(environ, "HELD_JOBS_EVERY_SECONDS", 60.0),
        )
