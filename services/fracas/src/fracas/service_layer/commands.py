from __future__ import annotations

from dataclasses import dataclass

from aftersales_shared.idempotency import IdempotentRequest

from ..domain.installed_base import InstalledUnit


@dataclass(frozen=True)
class RegisterInstalledBase:
    units: tuple[InstalledUnit, ...]
    request: IdempotentRequest | None = None
