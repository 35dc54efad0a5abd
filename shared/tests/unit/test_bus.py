import pytest
from marshmallow import Schema, fields

from aftersales_shared.bus import EventBus, UnhandledEventType
from aftersales_shared.envelope import InvalidMessage, caused_by, new_envelope
from aftersales_shared.testing.fakes import InMemoryStore, InMemoryUnitOfWork
from aftersales_shared.unit_of_work import AbstractUnitOfWork, outbox_row


class TicketCreatedData(Schema):
    ticket_id = fields.String(required=True)
    qty = fields.Integer(required=True)


def envelope(type="TicketCreated", data=None, **kwargs):
    return new_envelope(type=type, data={"ticket_id": "T-1", "qty": 1} if data is None else data,
                        source="intake", subject="T-1", region="east", site="SH-01", **kwargs)


@pytest.fixture
def store():
    return InMemoryStore()


@pytest.fixture
def calls():
    return []


@pytest.fixture
def bus(store, calls):
    def on_ticket_created(event, uow):
        calls.append(event)
        assert isinstance(uow, AbstractUnitOfWork)
        uow.emit(caused_by(event, type="PartReserved", data={"ticket_id": event.data["ticket_id"]},
                           source="inventory", subject=event.subject))

    return EventBus(lambda: InMemoryUnitOfWork(store), {"TicketCreated": on_ticket_created},
                    {"TicketCreated": TicketCreatedData()})


def test_handles_and_commits_emitted_events(bus, store, calls):
    event = envelope()
    assert bus.handle(event) is True
    assert [c.id for c in calls] == [event.id]
    assert store.inbox == {event.id}
    assert [e.type for e in store.outbox] == ["PartReserved"]
    assert store.outbox[0].causation_id == event.id


def test_duplicate_envelope_is_handled_once(bus, store, calls):
    event = envelope()
    assert bus.handle(event) is True
    assert bus.handle(event) is False
    assert bus.handle(parse_copy(event)) is False
    assert len(calls) == 1
    assert len(store.outbox) == 1


def parse_copy(event):
    from aftersales_shared.envelope import parse_envelope

    return parse_envelope(event.to_json())


def test_handler_gets_typed_data_and_unknown_fields_pass_through(store):
    seen = []
    bus = EventBus(lambda: InMemoryUnitOfWork(store), {"TicketCreated": lambda e, uow: seen.append(e.data)},
                   {"TicketCreated": TicketCreatedData()})
    bus.handle(envelope(data={"ticket_id": "T-1", "qty": "3", "added_later": True}))
    assert seen == [{"ticket_id": "T-1", "qty": 3, "added_later": True}]


def test_unknown_type_is_invalid_message(bus, calls, store):
    with pytest.raises(InvalidMessage) as caught:
        bus.handle(envelope(type="SlaBreached"))
    assert isinstance(caught.value, UnhandledEventType)
    assert list(caught.value.errors) == ["type"]
    assert calls == [] and store.inbox == set()


def test_invalid_data_is_invalid_message_naming_the_field(bus, calls, store):
    with pytest.raises(InvalidMessage) as caught:
        bus.handle(envelope(data={"ticket_id": "T-1", "qty": "many"}))
    assert caught.value.errors == {"data": {"qty": ["Not a valid integer."]}}
    with pytest.raises(InvalidMessage) as caught:
        bus.handle(envelope(data={"qty": 1}))
    assert caught.value.errors == {"data": {"ticket_id": ["Missing data for required field."]}}
    assert calls == [] and store.inbox == set()


def test_failing_handler_leaves_nothing_behind_and_can_be_retried(store):
    attempts = []

    def flaky(event, uow):
        attempts.append(event.id)
        uow.emit(envelope(type="PartReserved"))
        if len(attempts) == 1:
            raise RuntimeError("database hiccup")

    bus = EventBus(lambda: InMemoryUnitOfWork(store), {"TicketCreated": flaky}, {"TicketCreated": TicketCreatedData()})
    event = envelope()
    with pytest.raises(RuntimeError):
        bus.handle(event)
    assert store.inbox == set() and store.outbox == [] and store.rollbacks == 1
    assert bus.handle(event) is True  # the retry is not mistaken for a duplicate
    assert len(attempts) == 2 and len(store.outbox) == 1


def test_handler_without_schema_is_refused():
    with pytest.raises(ValueError, match="TicketCreated"):
        EventBus(lambda: InMemoryUnitOfWork(), {"TicketCreated": lambda e, u: None}, {})


def test_event_types_are_the_handled_ones():
    bus = EventBus(lambda: InMemoryUnitOfWork(), {"B": lambda e, u: None, "A": lambda e, u: None},
                   {"A": TicketCreatedData(), "B": TicketCreatedData(), "C": TicketCreatedData()})
    assert bus.event_types == ["A", "B"]


def test_unit_of_work_commits_only_on_commit():
    store = InMemoryStore()
    event = envelope()
    with InMemoryUnitOfWork(store) as uow:
        assert uow.claim(event)
        uow.emit(envelope(type="PartReserved"))
    assert store.inbox == set() and store.outbox == []
    with InMemoryUnitOfWork(store) as uow:
        uow.claim(event)
        uow.emit(envelope(type="PartReserved"))
        uow.commit()
    assert store.inbox == {event.id} and len(store.outbox) == 1
    assert len(uow.committed) == 1 and uow.pending == []


def test_outbox_row_carries_routing_key_and_body():
    event = envelope()
    row = outbox_row(event)
    assert row["event_id"] == event.id
    assert row["event_type"] == "TicketCreated"
    assert row["routing_key"] == "TicketCreated.east.SH-01"
    assert parse_copy(event) == event and row["body"] == event.to_json()
    assert row["created_at"].tzinfo is not None


def test_a_bulk_handler_takes_each_run_of_new_events_of_its_type_in_delivery_order(store):
    seen = []

    def record_runs(events, uow):
        seen.append(("bulk", [e.data["ticket_id"] for e in events]))
        for event in events:
            uow.emit(caused_by(event, type="Recorded", data={}, source="fracas", subject=event.subject))

    def on_other(event, uow):
        seen.append(("one", event.data["ticket_id"]))

    bus = EventBus(lambda: InMemoryUnitOfWork(store), {"Other": on_other}, {"TicketCreated": TicketCreatedData(),
                                                                           "Other": TicketCreatedData()},
                   bulk_handlers={"TicketCreated": record_runs})
    t1, t2, o3, t4 = (envelope(data={"ticket_id": "T-1", "qty": 1}), envelope(data={"ticket_id": "T-2", "qty": 1}),
                      envelope(type="Other", data={"ticket_id": "T-3", "qty": 1}),
                      envelope(data={"ticket_id": "T-4", "qty": 1}))
    assert bus.handle(t2) is True  # handled before: a duplicate in the batch below
    seen.clear()
    assert bus.handle_many([t1, t2, t1, o3, t4]) == [True, False, False, True, True]
    assert seen == [("bulk", ["T-1"]), ("one", "T-3"), ("bulk", ["T-4"])]
    assert bus.event_types == ["Other", "TicketCreated"]
    assert bus.validate(t4) == t4
    assert [e.causation_id for e in store.outbox] == [t2.id, t1.id, t4.id]

    seen.clear()
    fresh = [envelope(data={"ticket_id": f"T-{i}", "qty": 1}) for i in range(5, 8)]
    assert bus.handle_many(fresh) == [True, True, True]
    assert seen == [("bulk", ["T-5", "T-6", "T-7"])]


def test_a_failing_bulk_handler_leaves_the_whole_batch_undone(store):
    def fail(events, uow):
        uow.emit(envelope(type="Recorded"))
        raise RuntimeError("constraint violated")

    bus = EventBus(lambda: InMemoryUnitOfWork(store), {}, {"TicketCreated": TicketCreatedData()},
                   bulk_handlers={"TicketCreated": fail})
    with pytest.raises(RuntimeError):
        bus.handle_many([envelope(), envelope()])
    assert store.inbox == set() and store.outbox == []


def test_a_type_with_both_kinds_of_handler_or_a_bulk_handler_without_schema_is_refused():
    with pytest.raises(ValueError, match="both"):
        EventBus(lambda: InMemoryUnitOfWork(), {"A": lambda e, u: None}, {"A": TicketCreatedData()},
                 bulk_handlers={"A": lambda events, u: None})
    with pytest.raises(ValueError, match="no data schema.*B"):
        EventBus(lambda: InMemoryUnitOfWork(), {}, {}, bulk_handlers={"B": lambda events, u: None})
