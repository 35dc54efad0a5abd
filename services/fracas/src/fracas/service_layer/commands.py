from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aftersales_shared.idempotency import IdempotentRequest

from ..domain.installed_base import InstalledUnit


@dataclass(frozen=True)
class RegisterInstalledBase:
    units: tuple[InstalledUnit, ...]
    request: IdempotentRequest | None = None


@dataclass(frozen=True)
class OpenProblem:
    model: str
    part_no: str | None
    failure_mode: str | None
    reason: str
    actor: str
    owner: str | None = None
    due_date: date | None = None
    request: IdempotentRequest | None = None


@dataclass(frozen=True)
class ChangeProblem:
    problem_id: str
    to: str | None
    actor: str
    note: str = ""
    owner: str | None = None
    due_date: date | None = None
    root_cause: str | None = None
    corrective_action: str | None = None
    effective_date: date | None = None
