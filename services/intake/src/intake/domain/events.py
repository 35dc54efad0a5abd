"""What intake tells the other services; the wire format of each is the entrypoints' business."""
from __future__ import annotations

from dataclasses import dataclass

from .tickets import Ticket


@dataclass(frozen=True)
class TicketCreated:
    ticket: Ticket
