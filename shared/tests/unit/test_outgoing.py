"""Domain events become envelopes through the wire formats a service's bootstrap hands to the writer."""
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest

from aftersales_shared.envelope import new_envelope
from aftersales_shared.outgoing import EventWriter

AT = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)


@dataclass(frozen=True)
class PartReserved:
    ticket_id: str
    qty: int


@dataclass(frozen=True)
class PartLost:
    ticket_id: str


WRITER = EventWriter("inventory", {PartReserved: lambda event: {"ticket_id": event.ticket_id, "qty": event.qty}})


def test_an_event_a_request_caused_starts_the_subjects_flow():
    envelope = WRITER.envelope(PartReserved("T-1", 2), subject="T-1", region="east", site="SH-01", time=AT)

    assert (envelope.type, envelope.source, envelope.version) == ("PartReserved", "inventory", 1)
    assert envelope.data == {"ticket_id": "T-1", "qty": 2}
    assert (envelope.subject, envelope.correlation_id, envelope.causation_id) == ("T-1", "T-1", None)
    assert (envelope.routing_key, envelope.time) == ("PartReserved.east.SH-01", AT)


def test_an_event_an_incoming_one_caused_continues_its_flow():
    cause = new_envelope(type="TicketCreated", data={}, source="intake", subject="T-1", region="south",
                         site="GZ-02", correlation_id="flow-7")

    envelope = WRITER.follow_on(cause, PartReserved("T-1", 1), subject="T-1", time=AT)

    assert (envelope.causation_id, envelope.correlation_id) == (cause.id, "flow-7")
    assert (envelope.region, envelope.site) == ("south", "GZ-02")


def test_an_event_without_a_wire_format_is_an_error_naming_it():
    with pytest.raises(LookupError, match="inventory has no wire format for PartLost"):
        WRITER.envelope(PartLost("T-1"), subject="T-1", region="east", site="SH-01", time=AT)
