"""Field engineers of a service point and how the dispatcher (调度) picks one for a job."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Mapping

from .work_orders import WorkOrder


class EngineerAlreadyRegistered(Exception):
    def __init__(self, engineer_id: str):
        self.engineer_id = engineer_id
        super().__init__(f"Engineer {engineer_id} is already registered.")


@dataclass(frozen=True)
class Engineer:
    engineer_id: str
    name: str
    site: str
    region: str
    skills: tuple[str, ...]
    available: bool = True
    registered_at: datetime | None = None

    def can_take(self, work_order: WorkOrder) -> bool:
        return self.available and self.site == work_order.site and work_order.product.category in self.skills


def choose_engineer(work_order: WorkOrder, engineers: Iterable[Engineer], loads: Mapping[str, int]) -> Engineer | None:
    """The least-loaded engineer who can take the job; a tie goes to the smallest engineer_id, so the choice repeats."""
    candidates = [engineer for engineer in engineers if engineer.can_take(work_order)]
    return min(candidates, key=lambda e: (loads.get(e.engineer_id, 0), e.engineer_id), default=None)
