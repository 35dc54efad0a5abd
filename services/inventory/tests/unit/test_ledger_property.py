"""Whatever happens, in whatever order, the ledger explains every number: per site and part, the sum of
the movements' changes is on hand and reserved, and what reservations hold is what is reserved."""
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings, strategies as st

from inventory.bootstrap import event_writer
from inventory.service_layer import handlers
from inventory.service_layer.commands import AdjustStock, ReceiveStock
from inventory.domain.stock import InsufficientStock
from ticket_events import repair_completed, ticket_created, ticket_event

from fakes import FakeUnitOfWork, fake_bus

SITES = ("SH-01", "SH-02")
PARTS = ("PUMP-1", "BELT-2")
site = st.sampled_from(SITES)
part = st.sampled_from(PARTS)
qty = st.integers(1, 4)
ticket = st.integers(0, 5)

operation = st.one_of(
    st.tuples(st.just("receive"), site, part, qty, st.sampled_from(["10.00", "12.50", "7.25"])),
    st.tuples(st.just("adjust"), site, part, st.integers(-3, 3).filter(bool)),
    st.tuples(st.just("ticket"), ticket, site, st.lists(st.tuples(part, qty), min_size=1, max_size=2)),
    st.tuples(st.just("cancel"), ticket),
    st.tuples(st.just("repair"), ticket, st.lists(st.tuples(part, qty), max_size=2)),
    st.tuples(st.just("arrive"), st.integers(0, 3)),
)


def apply(uow, bus, tickets, op):
    kind, *args = op
    if kind == "receive":
        at, part_no, n, cost = args
        handlers.receive_stock(ReceiveStock(at, part_no, n, Decimal(cost), region="east"), uow, event_writer())
        handlers.fulfil_backorders(at, [part_no], lambda: uow, event_writer())
    elif kind == "adjust":
        at, part_no, change = args
        try:
            handlers.adjust_stock(AdjustStock(at, part_no, change, "count"), uow)
        except InsufficientStock:
            pass
    elif kind == "ticket":
        number, at, parts = args
        tickets.setdefault(number, (f"T-{number}", at))
        bus.handle(ticket_created(parts, ticket_id=tickets[number][0], site=tickets[number][1]))
    elif kind == "cancel" and args[0] in tickets:
        ticket_id, at = tickets[args[0]]
        bus.handle(ticket_event("TicketCancelled", ticket_id, site=at))
    elif kind == "repair" and args[0] in tickets:
        ticket_id, at = tickets[args[0]]
        bus.handle(repair_completed(ticket_id, args[1], site=at))
    elif kind == "arrive":
        pending = sorted((t for t in uow.transfers.transfers.values() if t.status == "in_transit"), key=lambda t: t.id)
        if pending:
            transfer = pending[args[0] % len(pending)]
            handlers.receive_transfer(transfer.id, uow, event_writer())


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=25))
def test_the_ledger_explains_on_hand_and_reserved_after_any_sequence(operations):
    uow = FakeUnitOfWork()
    bus = fake_bus(uow)
    tickets = {}
    for op in operations:
        apply(uow, bus, tickets, op)

    on_hand, reserved = Counter(), Counter()
    for movement in uow.stock.movements:
        on_hand[movement.site, movement.part_no] += movement.on_hand_change
        reserved[movement.site, movement.part_no] += movement.reserved_change
    held = Counter()
    for reservation in uow.reservations.by_ticket.values():
        for line in reservation.lines:
            held[reservation.site, line.part_no] += line.held
    for key, level in uow.stock.levels.items():
        assert (on_hand[key], reserved[key]) == (level.on_hand, level.reserved), key
        assert level.on_hand >= 0 and level.reserved >= 0
        assert held[key] == level.reserved, key
