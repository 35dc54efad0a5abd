"""Envelopes of the events inventory consumes, with the parts each one names."""
from __future__ import annotations

from aftersales_shared.envelope import Envelope
from aftersales_shared.testing import events
from aftersales_shared.testing.events import redelivered

__all__ = ["redelivered", "repair_completed", "ticket_created"]


def ticket_created(parts: list[tuple[str, int]], *, ticket_id: str | None = None, site: str = "SH-01",
                   region: str = "east") -> Envelope:
    return events.ticket_created(ticket_id, site=site, region=region,
                                 parts=[{"part_no": part_no, "qty": qty} for part_no, qty in parts])


def repair_completed(ticket_id: str, parts_used: list[tuple[str, int]], *, site: str = "SH-01",
                     region: str = "east") -> Envelope:
    return events.repair_completed(ticket_id, site=site, region=region, parts_used=[
        {"part_no": part_no, "qty": qty, "faulty_serial": f"F-{part_no}", "new_serial": None}
        for part_no, qty in parts_used
    ])
