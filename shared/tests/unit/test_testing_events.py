"""The contract-shaped events every service's tests feed their consumers with."""
import pytest

from aftersales_shared.testing import events
from aftersales_shared.testing.contract import assert_conforms

BUILT = {
    "TicketCreated": lambda: events.ticket_created(),
    "PartReserved": lambda: events.part_reserved("T-1"),
    "PartReservationFailed": lambda: events.part_reservation_failed("T-1"),
    "EngineerAssigned": lambda: events.engineer_assigned("T-1"),
    "RepairCompleted": lambda: events.repair_completed("T-1"),
    "SettlementPosted": lambda: events.settlement_posted("T-1"),
}


@pytest.mark.parametrize("event_type", BUILT)
def test_every_builder_makes_an_event_the_contract_accepts(event_type):
    envelope = BUILT[event_type]()
    assert envelope.type == event_type
    assert envelope.data["ticket_id"] == envelope.subject == envelope.correlation_id
    assert_conforms(envelope.to_dict())


def test_a_change_to_a_nested_field_keeps_its_neighbours():
    event = events.ticket_created("T-9", product={"category": "washer"}, parts=[])
    assert event.data["product"] == {"model": "TV-55X", "serial": "SN-0001", "category": "washer",
                                     "purchase_date": "2025-06-01", "batch": "B2405"}
    assert event.data["parts"] == []
    assert events.ticket_created("T-9").data["product"]["category"] == "television"


def test_the_envelope_carries_the_events_own_time_site_and_region():
    event = events.repair_completed("T-1", site="GZ-02", region="south")
    assert (event.site, event.region, event.routing_key) == ("GZ-02", "south", "RepairCompleted.south.GZ-02")
    assert event.time.isoformat().replace("+00:00", "Z") == event.data["completed_at"]


def test_redelivered_is_the_same_fact_under_a_new_id():
    first = events.settlement_posted("T-1")
    again = events.redelivered(first)
    assert again.id != first.id
    assert again.data == first.data and again.data is not first.data
