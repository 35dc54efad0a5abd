"""What intake tells the other services; the wire format of each is the entrypoints' business."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .tickets import Ticket


@dataclass(frozen=True)
class TicketCreated:
    ticket: Ticket


@dataclass(frozen=True)
class TicketCancelled:
    ticket: Ticket
    reason: str
    cancelled_at: datetime


@dataclass(frozen=True)
class TicketClosed:
    ticket: Ticket
    resolution: str
    closed_at: datetime


@dataclass(frozen=True)
class QuoteAccepted:
    ticket: Ticket
    accepted_at: datetime


@dataclass(frozen=True)
class CallbackCompleted:
    ticket: Ticket
    outcome: str
    score: int | None
    remarks: str | None
    completed_at: datetime
