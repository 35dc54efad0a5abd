"""The ticket lifecycle: every move, every refused move (naming the state), and the audit trail."""
from datetime import timedelta
from decimal import Decimal

import pytest

from intake.domain.lifecycle import IllegalTransition
from intake.service_layer import handlers
from intake.service_layer.commands import CloseTicket, FileComplaint, GiveQuote, RecordCallback, TicketAction

from samples import ACCEPTED_AT, report, ticket_command


@pytest.fixture
def make(uow_factory, rules, events):
    def create(**overrides):
        return handlers.create_ticket(ticket_command(**overrides), uow_factory(), rules, events)
    return create


@pytest.fixture
def do(uow_factory, rules, events):
    def run(ticket_id, action, **kwargs):
        return handlers.act(TicketAction(ticket_id, action, **kwargs), uow_factory(), rules, events)
    return run


def _get(uow_factory, ticket_id):
    with uow_factory() as uow:
        return uow.tickets.get(ticket_id)


def _published(store):
    return [(e.type, e.data.get("ticket_id")) for e in store.outbox]


def _moves(ticket):
    return [(e.change["from"], e.change["to"]) for e in ticket.timeline if e.change]


def test_a_ticket_posted_as_before_goes_straight_to_dispatch(make, store):
    ticket = make()
    assert ticket.state == "awaiting_dispatch"
    assert _published(store) == [("TicketCreated", ticket.id)]
    assert store.outbox[0].data["quote_required"] is False and store.outbox[0].data["repeat_of"] is None


def test_a_ticket_diagnosed_on_the_phone_is_resolved_without_anything_downstream(make, do, store, uow_factory):
    ticket = make(diagnose_first=True, operator="op-7")
    assert ticket.state == "diagnosing" and store.outbox == []
    store.articles["KB-1"] = object()

    closed = do(ticket.id, "resolve_by_phone", operator="op-7", reason="reset to factory settings",
                article_id="KB-1")

    assert (closed.state, closed.resolution, closed.kb_article_id) == ("closed", "resolved_by_phone", "KB-1")
    # No TicketCreated ever went out: dispatch creates no work order, inventory reserves nothing.
    assert [t for t, _ in _published(store)] == ["TicketClosed"]
    assert store.outbox[0].data["resolution"] == "resolved_by_phone"
    seen = _get(uow_factory, ticket.id)
    assert _moves(seen) == [("new", "diagnosing"), ("diagnosing", "resolved_by_phone"),
                            ("resolved_by_phone", "closed")]
    audit = [e for e in seen.timeline if e.change][1]
    assert (audit.change["by"], audit.change["why"], audit.occurred_at) == (
        "op-7", "reset to factory settings", ACCEPTED_AT)


def test_a_ticket_not_solved_on_the_phone_is_sent_on(make, do, store):
    ticket = make(diagnose_first=True)
    sent = do(ticket.id, "dispatch", reason="needs a technician")
    assert sent.state == "awaiting_dispatch"
    assert _published(store) == [("TicketCreated", ticket.id)]
    assert sent.timeline[-1].change == {"from": "diagnosing", "to": "awaiting_dispatch", "by": "desk",
                                        "why": "needs a technician"}


@pytest.mark.parametrize("action", ["resolve_by_phone", "dispatch"])
def test_only_a_ticket_being_diagnosed_is_resolved_by_phone_or_sent_on(make, do, action):
    ticket = make()
    with pytest.raises(IllegalTransition) as refused:
        do(ticket.id, action)
    assert refused.value.state == "awaiting_dispatch"
    assert "awaiting_dispatch" in refused.value.reason


def test_reports_move_the_ticket_forward_only(make, bus, uow_factory):
    ticket = make()
    bus.handle(report("RepairCompleted", ticket.id))
    bus.handle(report("EngineerAssigned", ticket.id))  # overtaken: recorded, not a step back
    seen = _get(uow_factory, ticket.id)
    assert seen.state == "completed"
    assert _moves(seen) == [("new", "awaiting_dispatch"), ("awaiting_dispatch", "completed")]
    assert [e.type for e in seen.timeline] == ["TicketCreated", "RepairCompleted", "EngineerAssigned"]


def test_engineer_assigned_starts_the_work(make, bus, uow_factory):
    ticket = make()
    bus.handle(report("PartReservationFailed", ticket.id))
    bus.handle(report("EngineerAssigned", ticket.id))
    seen = _get(uow_factory, ticket.id)
    assert seen.state == "in_service"
    assert seen.timeline[-1].change["by"] == "dispatch"


# -- quotes -----------------------------------------------------------------------------------------------

def test_a_quote_required_ticket_waits_for_acceptance(make, do, store, uow_factory, rules):
    ticket = make(quote_required=True)
    assert ticket.state == "awaiting_quote"
    assert store.outbox[0].data["quote_required"] is True
    with pytest.raises(IllegalTransition, match="no quote"):
        do(ticket.id, "accept_quote")

    handlers.give_quote(GiveQuote(ticket.id, Decimal("180.00"), ACCEPTED_AT + timedelta(days=3)), uow_factory(), rules)
    assert [t for t, _ in _published(store)] == ["TicketCreated"]  # nothing dispatched yet
    accepted = do(ticket.id, "accept_quote", operator="op-2")

    assert accepted.state == "awaiting_dispatch"
    assert _published(store)[-1] == ("QuoteAccepted", ticket.id)
    assert store.outbox[-1].data["amount"] == "180.00"
    with pytest.raises(IllegalTransition):
        do(ticket.id, "accept_quote")


def test_an_expired_quote_cannot_be_accepted(make, do, uow_factory, rules):
    ticket = make(quote_required=True)
    handlers.give_quote(GiveQuote(ticket.id, Decimal("80.00"), ACCEPTED_AT - timedelta(minutes=1)), uow_factory(),
                        rules)
    with pytest.raises(IllegalTransition, match="expired"):
        do(ticket.id, "accept_quote")


def test_a_declined_quote_closes_the_ticket(make, do, store, uow_factory, rules):
    ticket = make(quote_required=True)
    handlers.give_quote(GiveQuote(ticket.id, Decimal("80.00"), ACCEPTED_AT + timedelta(days=1)), uow_factory(), rules)
    closed = do(ticket.id, "decline_quote", reason="too expensive")
    assert (closed.state, closed.resolution) == ("closed", "declined_quote")
    assert store.outbox[-1].data["resolution"] == "declined_quote"


def test_a_site_policy_asks_for_a_quote_on_out_of_warranty_tickets_only(make, uow_factory, events, rules):
    from dataclasses import replace
    from datetime import date
    from intake.domain.tickets import Product
    strict = replace(rules, quote_sites=frozenset({"SH-01"}))
    old = Product("TV-55X", "SN-OLD", "television", date(2020, 1, 1))
    out = handlers.create_ticket(ticket_command(product=old), uow_factory(), strict, events)
    covered = handlers.create_ticket(ticket_command(), uow_factory(), strict, events)
    elsewhere = handlers.create_ticket(ticket_command(product=old, site="BJ-01"), uow_factory(), strict, events)
    assert (out.state, covered.state, elsewhere.state) == ("awaiting_quote", "awaiting_dispatch", "awaiting_dispatch")


# -- cancelling -------------------------------------------------------------------------------------------

def test_cancel_before_anything_happened(make, do, store):
    ticket = make()
    cancelled = do(ticket.id, "cancel", reason="customer fixed it")
    assert cancelled.state == "cancelled"
    assert _published(store)[-1] == ("TicketCancelled", ticket.id)
    assert store.outbox[-1].data["reason"] == "customer fixed it"
    with pytest.raises(IllegalTransition, match="'cancelled'"):
        do(ticket.id, "cancel", reason="again")


def test_cancel_refused_once_parts_are_reserved_for_an_accepted_quote(make, do, bus, uow_factory, rules, store):
    ticket = make(quote_required=True)
    handlers.give_quote(GiveQuote(ticket.id, Decimal("90.00"), ACCEPTED_AT + timedelta(days=1)), uow_factory(), rules)
    do(ticket.id, "accept_quote")
    bus.handle(report("PartReserved", ticket.id))

    with pytest.raises(IllegalTransition, match="Parts are reserved") as refused:
        do(ticket.id, "cancel", reason="changed mind")
    assert refused.value.state == "awaiting_dispatch"
    assert "TicketCancelled" not in [t for t, _ in _published(store)]


def test_cancel_refused_once_work_started(make, do, bus):
    ticket = make()
    bus.handle(report("EngineerAssigned", ticket.id))
    with pytest.raises(IllegalTransition, match="Work has started"):
        do(ticket.id, "cancel", reason="changed mind")


# -- callback and closing ---------------------------------------------------------------------------------

def _completed(make, bus):
    ticket = make()
    bus.handle(report("RepairCompleted", ticket.id))
    return ticket


def test_a_done_callback_publishes_the_score_then_the_ticket_closes(make, bus, uow_factory, rules, events, store):
    ticket = _completed(make, bus)
    with pytest.raises(IllegalTransition):
        handlers.close_ticket(CloseTicket(ticket.id, "repaired"), uow_factory(), rules, events)

    done = handlers.record_callback(RecordCallback(ticket.id, "done", 4, "quick and polite"), uow_factory(), rules,
                                    events)
    assert done.state == "callback_done"
    assert store.outbox[-1].type == "CallbackCompleted"
    assert {k: store.outbox[-1].data[k] for k in ("outcome", "score", "remarks", "attempts")} == {
        "outcome": "done", "score": 4, "remarks": "quick and polite", "attempts": 1}

    closed = handlers.close_ticket(CloseTicket(ticket.id, "repaired"), uow_factory(), rules, events)
    assert closed.state == "closed"
    assert (store.outbox[-1].type, store.outbox[-1].data["resolution"]) == ("TicketClosed", "repaired")


def test_a_callback_fails_after_the_allowed_tries(make, bus, uow_factory, rules, events, store):
    ticket = _completed(make, bus)
    for attempt in (1, 2):
        seen = handlers.record_callback(RecordCallback(ticket.id, "failed"), uow_factory(), rules, events)
        assert (seen.state, seen.callback_attempts) == ("completed", attempt)
        assert store.outbox[-1].type != "CallbackCompleted"
    last = handlers.record_callback(RecordCallback(ticket.id, "failed", remarks="no answer"), uow_factory(), rules,
                                    events)
    assert last.state == "callback_done"
    assert {k: store.outbox[-1].data[k] for k in ("outcome", "score", "attempts")} == {
        "outcome": "failed", "score": None, "attempts": 3}


def test_no_callback_before_the_repair_is_done(make, uow_factory, rules, events):
    ticket = make()
    with pytest.raises(IllegalTransition, match="awaiting_dispatch"):
        handlers.record_callback(RecordCallback(ticket.id, "done", 5), uow_factory(), rules, events)


# -- escalation -------------------------------------------------------------------------------------------

def test_a_major_complaint_escalates_to_a_handling_group(make, uow_factory, rules):
    ticket = make()
    deadline = ACCEPTED_AT + timedelta(hours=8)
    seen = handlers.file_complaint(FileComplaint(ticket.id, "sales_lead", deadline, "rude engineer"), uow_factory(),
                                   rules)
    assert (seen.escalation.group, seen.escalation.deadline, seen.state) == ("sales_lead", deadline,
                                                                             "awaiting_dispatch")
    assert seen.timeline[-1].type == "Escalated"
    with pytest.raises(IllegalTransition, match="already escalated"):
        handlers.file_complaint(FileComplaint(ticket.id, "supervisor", deadline, "again"), uow_factory(), rules)


def test_an_sla_breach_escalates_to_the_supervisor(make, bus, uow_factory):
    from aftersales_shared.envelope import new_envelope
    ticket = make()
    breach = new_envelope(type="SlaBreached", source="dispatch", subject=ticket.id, region="east", site="SH-01",
                          time=ACCEPTED_AT + timedelta(hours=5),
                          data={"ticket_id": ticket.id, "work_order_id": "WO-1", "site": "SH-01", "region": "east",
                                "clock": "respond", "deadline": "2026-03-10T13:30:00Z",
                                "breached_at": "2026-03-10T14:30:00Z"})
    assert bus.handle(breach) is True
    seen = _get(uow_factory, ticket.id)
    assert seen.escalation.group == "supervisor"
    assert seen.escalation.deadline == ACCEPTED_AT + timedelta(hours=9)
    assert [e.type for e in seen.timeline] == ["TicketCreated", "SlaBreached", "Escalated"]


def test_resolving_by_phone_names_an_article_that_exists(make, do):
    ticket = make(diagnose_first=True)
    with pytest.raises(handlers.ArticleNotFound):
        do(ticket.id, "resolve_by_phone", article_id="KB-404")
    assert do(ticket.id, "resolve_by_phone").state == "closed"
