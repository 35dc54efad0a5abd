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
