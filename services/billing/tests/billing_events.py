"""Events billing hears, built for tests: inventory's price changes and intake's callbacks."""
from __future__ import annotations

from datetime import datetime, timezone

from aftersales_shared.envelope import Envelope, new_envelope
from aftersales_shared.timeutil import to_rfc3339

COMPLETED_AT = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)
PRICED_FROM = datetime(2026, 1, 1, tzinfo=timezone.utc)
# What inventory publishes for the two parts the standard job uses: (description, unit cost, list price).
CATALOGUE = {"PCB-100": ("Main control board", "180.00", "260.00"), "FLT-400": ("Water filter cartridge", "12.50", "25.00")}


def part_price_changed(part_no: str, unit_cost: str, list_price: str | None = None, *, revision: int = 1,
                       effective_at: datetime = PRICED_FROM, description: str = "", category: str = "spares",
                       returnable: bool = True) -> Envelope:
    """PartPriceChanged as inventory publishes it: catalogue-wide, region and site ``all``."""
    data = {"part_no": part_no, "description": description or part_no, "category": category,
            "unit_cost": unit_cost, "list_price": list_price, "returnable": returnable, "revision": revision,
            "effective_at": to_rfc3339(effective_at)}
    return new_envelope(type="PartPriceChanged", data=data, source="inventory", subject=part_no, region="all",
                        site="all", correlation_id=part_no, time=effective_at)


def catalogue_events(effective_at: datetime = PRICED_FROM) -> list[Envelope]:
    return [part_price_changed(part_no, cost, price, description=description, effective_at=effective_at)
            for part_no, (description, cost, price) in CATALOGUE.items()]


def callback_completed(ticket_id: str, outcome: str = "failed", *, completed_at: datetime = COMPLETED_AT,
                       site: str = "SH-01", region: str = "east") -> Envelope:
    data = {"ticket_id": ticket_id, "site": site, "region": region, "outcome": outcome,
            "score": 1 if outcome == "failed" else 5, "remarks": "customer unreachable" if outcome == "failed" else None,
            "attempts": 3, "completed_at": to_rfc3339(completed_at)}
    return new_envelope(type="CallbackCompleted", data=data, source="intake", subject=ticket_id, region=region,
                        site=site, correlation_id=ticket_id, time=completed_at)
