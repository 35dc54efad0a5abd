from __future__ import annotations

from dataclasses import dataclass

from aftersales_shared.idempotency import IdempotentRequest

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


@dataclass(frozen=True)
class CompleteWorkOrder:
    work_order_id: str
    report: Completion
    request: IdempotentRequest | None = None
