"""Field engineers of a service point and how the dispatcher (调度) picks one for a job.

The pick: available engineers on shift with the product's skill, first at the ticket's site and only
when nobody there fits in its region; among them the best score, which rewards a short queue and
having fixed the same symptom before. The score and a readable reason are kept on the work order.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timezone, tzinfo
from typing import Iterable, Mapping

from .work_orders import WorkOrder

AVAILABLE = "available"
BUSY = "busy"
OFF = "off"
ENGINEER_STATUSES = (AVAILABLE, BUSY, OFF)

# Beyond this many open jobs an engineer takes no new one: the job waits for someone else instead.
MAX_LOAD = 8
LOAD_PENALTY = 12.0
HISTORY_BONUS = 10.0
HISTORY_CAP = 3
REGION_PENALTY = 40.0
BASE_SCORE = 100.0


class EngineerAlreadyRegistered(Exception):
    def __init__(self, engineer_id: str):
        self.engineer_id = engineer_id
        super().__init__(f"Engineer {engineer_id} is already registered.")


class UnknownEngineer(LookupError):
    def __init__(self, engineer_id: str):
        self.engineer_id = engineer_id
        super().__init__(f"No engineer {engineer_id}.")


@dataclass(frozen=True)
class Engineer:
    engineer_id: str
    name: str
    site: str
    region: str
    skills: tuple[str, ...]
    status: str = AVAILABLE
    registered_at: datetime | None = None
    shift_start: time | None = None
    shift_end: time | None = None
    load: int = 0

    @property
    def available(self) -> bool:
        return self.status == AVAILABLE

    def with_status(self, status: str) -> "Engineer":
        return replace(self, status=status)

    def on_shift(self, now: datetime, zone: tzinfo) -> bool:
        """Within the engineer's hours in the site's time zone; no hours given: always on shift."""
        if self.shift_start is None or self.shift_end is None:
            return True
        local = now.astimezone(zone).time()
        if self.shift_start <= self.shift_end:
            return self.shift_start <= local < self.shift_end
        return local >= self.shift_start or local < self.shift_end  # a night shift

    def why_not(self, work_order: WorkOrder, now: datetime, zone: tzinfo) -> str | None:
        if not self.available:
            return f"{self.engineer_id} is {self.status}"
        if work_order.product.category not in self.skills:
            return f"{self.engineer_id} lacks the skill {work_order.product.category}"
        if self.engineer_id in work_order.declined_by:
            return f"{self.engineer_id} declined it"
        if self.load >= MAX_LOAD:
            return f"{self.engineer_id} has {self.load} open jobs"
        if not self.on_shift(now, zone):
            return f"{self.engineer_id} is off shift"
        return None

    def can_take(self, work_order: WorkOrder, now: datetime | None = None, zone: tzinfo | None = None) -> bool:
        return self.why_not(work_order, now or datetime.now(timezone.utc), zone or timezone.utc) is None


@dataclass(frozen=True)
class Choice:
    engineer: Engineer
    score: float
    reason: str


def score(engineer: Engineer, work_order: WorkOrder, fixes: int, same_site: bool) -> Choice:
    history = min(fixes, HISTORY_CAP)
    value = BASE_SCORE - LOAD_PENALTY * engineer.load + HISTORY_BONUS * history - (0 if same_site else REGION_PENALTY)
    where = f"site {work_order.site}" if same_site else f"region {work_order.region} (nobody fits at {work_order.site})"
    parts = [where, f"skill {work_order.product.category}", f"load {engineer.load}"]
    if fixes and work_order.symptom_code:
        parts.append(f"fixed {work_order.symptom_code} {fixes} times before")
    return Choice(engineer, round(value, 2), ", ".join(parts))


def choose(work_order: WorkOrder, candidates: Iterable[Engineer], fixes: Mapping[str, int], now: datetime,
           zone: tzinfo) -> Choice | None:
    """The best-scoring engineer who can take the job; a tie goes to the lighter load, then the smaller id."""
    fitting = [e for e in candidates if e.why_not(work_order, now, zone) is None]
    scored = [score(e, work_order, fixes.get(e.engineer_id, 0), e.site == work_order.site) for e in fitting]
    return min(scored, key=lambda c: (-c.score, c.engineer.load, c.engineer.engineer_id), default=None)


def nobody_fits(work_order: WorkOrder) -> str:
    return (f"no available engineer on shift with the skill {work_order.product.category} and fewer than "
            f"{MAX_LOAD} open jobs at site {work_order.site} or in region {work_order.region}")
