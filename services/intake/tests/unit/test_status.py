from itertools import permutations

import pytest

from intake.domain.tickets import status_from

REPORTS = ("PartReserved", "EngineerAssigned", "RepairCompleted", "SettlementPosted")


def test_a_new_ticket_is_open():
    assert status_from(["TicketCreated"]) == "open"
    assert status_from([]) == "open"


@pytest.mark.parametrize("events, status", [
    (["TicketCreated", "PartReservationFailed"], "awaiting_parts"),
    (["TicketCreated", "PartReservationFailed", "PartReserved"], "parts_reserved"),
    (["TicketCreated", "PartReserved", "PartReservationFailed"], "parts_reserved"),
    (["TicketCreated", "PartReserved", "EngineerAssigned"], "assigned"),
    (["TicketCreated", "RepairCompleted", "PartReserved"], "completed"),
    (["RepairCompleted", "PartReserved"], "completed"),
    (["TicketCreated", "EngineerAssigned", "RepairCompleted", "SettlementPosted"], "settled"),
    (["SettlementPosted", "TicketCreated"], "settled"),
])
def test_status_is_the_furthest_stage_reported(events, status):
    assert status_from(events) == status


@pytest.mark.parametrize("order", list(permutations(REPORTS)))
def test_any_arrival_order_converges(order):
    assert status_from(["TicketCreated", *order]) == "settled"
    assert status_from([t for t in order if t != "SettlementPosted"]) == "completed"


def test_events_intake_does_not_rank_leave_the_status_alone():
    assert status_from(["TicketCreated", "SlaBreached", "PartReserved", "Unheard"]) == "parts_reserved"
