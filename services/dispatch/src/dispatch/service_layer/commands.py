from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from aftersales_shared.idempotency import IdempotentRequest

from ..domain.sla import WorkingCalendar
from ..domain.work_orders import Completion


@dataclass(frozen=True)
class RegisterEngineer:
    engineer_id: str
    name: str
    site: str
    region: str
    skills: tuple[str, ...]
    available: bool = True
    request: IdempotentRequest | None = None
    status: str | None = None
    shift_start: time | None = None
    shift_end: time | None = None


@dataclass(frozen=True)
class ChangeEngineer:
    """Status (available / busy / off) and shift hours; going off hands back the jobs not yet started."""

    engineer_id: str
    status: str | None = None
    shift_start: time | None = None
    shift_end: time | None = None
    change_shift: bool = False


@dataclass(frozen=True)
class CompleteWorkOrder:
    work_order_id: str
    report: Completion
    request: IdempotentRequest | None = None
    travel_km: float | None = None


@dataclass(frozen=True)
class WorkOrderAction:
    """An engineer's or dispatcher's step: accept, decline, depart, arrive, receive, diagnose, repair, qc,
    cannot_complete, waiting_parts, waiting_customer, resume."""

    work_order_id: str
    action: str
    engineer_id: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Reassign:
    work_order_id: str
    engineer_id: str
    reason: str


@dataclass(frozen=True)
class SetCalendar:
    site: str
    calendar: WorkingCalendar
