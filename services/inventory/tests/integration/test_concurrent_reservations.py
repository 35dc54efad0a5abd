"""Many consumers reserving the same part at once must never promise more than is on the shelf."""
import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

from sqlalchemy import func, select

from inventory.adapters.tables import outbox, reservation_lines
from inventory.service_layer import handlers
from inventory.service_layer.commands import ReceiveStock
from ticket_events import repair_completed, ticket_created

SITE, PART = "SH-01", "PUMP-1"


def handle_all_at_once(bus, events):
    start = threading.Barrier(len(events))

    def handle(event):
        start.wait(timeout=30)
        return bus.handle(event)

    with ThreadPoolExecutor(max_workers=len(events)) as pool:
        return list(pool.map(handle, events))


def level(inventory):
    with inventory.uow_factory() as uow:
        return uow.stock.get(SITE, PART)


def test_fifty_tickets_racing_for_twenty_units_reserve_exactly_twenty(inventory):
    handlers.receive_stock(ReceiveStock(SITE, PART, 20, Decimal("35.50")), inventory.uow_factory(),
                           inventory.events)
    tickets = [ticket_created([(PART, 1)], site=SITE) for _ in range(50)]

    assert handle_all_at_once(inventory.runtime.bus, tickets) == [True] * 50

    with inventory.runtime.engine.connect() as connection:
        emitted = Counter(connection.execute(
            select(outbox.c.event_type).where(outbox.c.event_type != "PartPriceChanged")).scalars())
        held = connection.execute(select(func.sum(reservation_lines.c.held))).scalar()
    assert emitted == {"PartReserved": 20, "PartReservationFailed": 30}
    assert held == 20
    stock = level(inventory)
    assert (stock.on_hand, stock.reserved, stock.available) == (20, 20, 0)
    with inventory.uow_factory() as uow:
        ledger = uow.stock.ledger(SITE, PART)
    assert sum(m.on_hand_change for m in ledger) == 20 and sum(m.reserved_change for m in ledger) == 20


def test_a_ticket_and_its_repair_handled_at_the_same_moment_leave_nothing_held(inventory):
    handlers.receive_stock(ReceiveStock(SITE, PART, 10, Decimal("35.50")), inventory.uow_factory(),
                           inventory.events)
    events = []
    for _ in range(8):
        created = ticket_created([(PART, 1)], site=SITE)
        events += [created, repair_completed(created.data["ticket_id"], [(PART, 1)], site=SITE)]

    assert handle_all_at_once(inventory.runtime.bus, events) == [True] * 16

    stock = level(inventory)
    assert (stock.on_hand, stock.reserved) == (2, 0)


def test_concurrent_receipts_of_a_part_never_seen_price_it_once_per_revision(inventory):
    costs = [Decimal(f"{10 + n}.00") for n in range(12)]
    start = threading.Barrier(len(costs))

    def receive(cost):
        start.wait(timeout=30)
        handlers.receive_stock(ReceiveStock(f"SH-{int(cost) % 3:02d}", "NEW-PART", 1, cost),
                               inventory.uow_factory(), inventory.events)

    with ThreadPoolExecutor(max_workers=len(costs)) as pool:
        list(pool.map(receive, costs))

    with inventory.uow_factory() as uow:
        part = uow.catalogue.get("NEW-PART")
    with inventory.runtime.engine.connect() as connection:
        bodies = connection.execute(select(outbox.c.body).where(outbox.c.event_type == "PartPriceChanged")
                                    .order_by(outbox.c.position)).scalars().all()
    revisions = [json.loads(body)["data"]["revision"] for body in bodies]
    # One per change, in commit order, none repeated or skipped. A receipt at exactly the running average
    # changes no price and publishes nothing, so there may be fewer changes than receipts.
    assert revisions == list(range(1, part.revision + 1))
    assert len(costs) - 3 <= part.revision <= len(costs) and part.received_qty == len(costs)
    # Rounded to 4 places at each receipt, in whatever order they came: within a rounding step of the mean.
    assert abs(part.unit_cost - sum(costs) / len(costs)) <= Decimal("0.0005")
