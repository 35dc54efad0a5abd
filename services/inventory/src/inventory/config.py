"""Inventory's settings from the environment; parsing only."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Mapping

from aftersales_shared.config import MessagingSettings

DEFAULT_DATABASE_URL = "sqlite:///var/inventory.db"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    messaging: MessagingSettings = field(default_factory=MessagingSettings)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        environ = os.environ if environ is None else environ
        return cls(
            database_url=environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            messaging=MessagingSettings.from_env(environ),
        )
