"""What dispatch tells the other services; the wire format of each is the entrypoints' business."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .sla import ClockState
from .work_orders import WorkOrder


@dataclass(frozen=True)
class EngineerAssigned:
    work_order: WorkOrder


@dataclass(frozen=True)
class RepairCompleted:
    """The work order holds the engineer's report of the job (its completion)."""

    work_order: WorkOrder


@dataclass(frozen=True)
class SlaBreached:
    clock: ClockState
    breached_at: datetime
