"""Customers and the units they own, as the desk knows them from earlier calls."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

# A call about the same unit inside this window is a repeat of the earlier one.
REPEAT_WINDOWS = {"software": timedelta(hours=72), "hardware": timedelta(days=7)}
FAULT_KINDS = tuple(REPEAT_WINDOWS)


def normalised_phone(phone: str) -> str:
    """Digits and a leading +: one customer however the number was typed."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return ("+" if phone.strip().startswith("+") else "") + digits


@dataclass
class Unit:
    serial: str
    model: str
    category: str
    purchase_date: date | None = None
    batch: str | None = None
    customer_id: str | None = None
    last_ticket_id: str | None = None
    last_ticket_at: datetime | None = None

    def repeat_of(self, fault_kind: str, now: datetime) -> str | None:
        """The earlier ticket a new call about this unit repeats, if it came inside the window."""
        if self.last_ticket_at is None:
            return None
        return self.last_ticket_id if now - self.last_ticket_at <= REPEAT_WINDOWS[fault_kind] else None
