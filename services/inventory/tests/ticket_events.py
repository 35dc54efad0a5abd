"""Envelopes of the events inventory consumes, with the parts each one names."""
from __future__ import annotations

from datetime import datetime, timedelta

from aftersales_shared.envelope import Envelope, new_envelope
from aftersales_shared.testing import events
from aftersales_shared.testing.events import ACCEPTED_AT, redelivered
from aftersales_shared.timeutil import to_rfc3339

__all__ = ["redelivered", "repair_completed", "ticket_created", "ticket_event"]


def ticket_created(parts: list[tuple[str, int]], *, ticket_id: str | None = None, site: str = "SH-01",
                   region: str = "east", created_at: datetime = ACCEPTED_AT, **changes) -> Envelope:
    return events.ticket_created(ticket_id, site=site, region=region, created_at=created_at,
                                 parts=[{"part_no": part_no, "qty": qty} for part_no, qty in parts], **changes)


def repair_completed(ticket_id: str, parts_used: list[tuple[str, int]], *, site: str = "SH-01",
                     region: str = "east", **changes) -> Envelope:
    return events.repair_completed(ticket_id, site=site, region=region, parts_used=[
        {"part_no": part_no, "qty": qty, "faulty_serial": f"F-{part_no}", "new_serial": None}
        for part_no, qty in parts_used
    ], **changes)


def ticket_event(type: str, ticket_id: str, *, site: str = "SH-01", region: str = "east",
                 at: datetime = ACCEPTED_AT + timedelta(hours=1), **data) -> Envelope:
    """QuoteAccepted, TicketCancelled or TicketClosed from intake, shaped as their schemas in docs/events."""
    defaults = {
        "QuoteAccepted": {"amount": "120.00", "accepted_at": to_rfc3339(at)},
        "TicketCancelled": {"reason": "customer", "cancelled_at": to_rfc3339(at)},
        "TicketClosed": {"resolution": "other", "closed_at": to_rfc3339(at)},
    }[type]
    return new_envelope(type=type, data={"ticket_id": ticket_id, "site": site, "region": region, **defaults, **data},
                        source="intake", subject=ticket_id, region=region, site=site, correlation_id=ticket_id,
                        time=at)
