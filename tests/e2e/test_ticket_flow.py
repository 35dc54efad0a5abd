"""A ticket driven across all five services, every event read off the wire by an independent consumer."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from aftersales_shared.testing.amqp import WireTap, publish
from aftersales_shared.testing.contract import assert_conforms, contract_dir
from aftersales_shared.testing.helpers import unique, wait_for

pytestmark = pytest.mark.e2e
CORE_EVENTS = ("TicketCreated", "PartReserved", "RepairCompleted", "SettlementPosted")
PART = "PCB-100"


@pytest.fixture(scope="module")
def tap(platform, amqp_vhost):
    with WireTap(amqp_vhost) as wire:
        yield wire


@pytest.fixture(scope="module")
def site(platform):
    site = unique("E2E")[:32]
    requests.post(platform.url("dispatch", "/api/v1/engineers"), json={
        "engineer_id": f"ENG-{site}", "name": "Wang Fang", "site": site, "region": "east",
        "skills": ["washing_machine"]}, timeout=10).raise_for_status()
    requests.post(platform.url("inventory", "/api/v1/stock/receipts"), json={
        "site": site, "part_no": PART, "qty": 5, "unit_cost": "35.50"}, timeout=10).raise_for_status()
    return site


def ticket_body(site: str, parts=({"part_no": PART, "qty": 1},)) -> dict:
    return {
        "channel": "hotline", "service_type": "onsite", "priority": "P2", "site": site, "region": "east",
        "customer": {"name": "Li Lei", "phone": "13800000000", "address": "88 Nanjing Road"},
        "product": {"model": "WM-700", "serial": unique("SN"), "category": "washing_machine",
                    "purchase_date": (date.today() - timedelta(days=90)).isoformat(), "batch": "B2026-03"},
        "fault": {"symptom_code": "E21", "description": "Drum does not spin", "first_open_failure": False},
        "parts": list(parts),
    }


def events_for(tap: WireTap, ticket_id: str, event_type: str):
    return [m for m in tap.of_type(event_type) if m.json()["subject"] == ticket_id]


def wait_event(tap: WireTap, ticket_id: str, event_type: str, timeout: float = 30.0):
    return wait_for(lambda: events_for(tap, ticket_id, event_type), timeout=timeout,
                    message=f"no {event_type} for ticket {ticket_id} on the wire")[0]


def test_a_ticket_flows_from_request_to_settlement(platform, tap, site):
    created = requests.post(platform.url("intake", "/api/v1/tickets"), json=ticket_body(site), timeout=10)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    wait_event(tap, ticket_id, "PartReserved")
    orders = wait_for(lambda: [o for o in requests.get(platform.url("dispatch", "/api/v1/work-orders"),
                                                         params={"ticket_id": ticket_id}, timeout=10).json()
                               if o["status"] == "assigned"], timeout=30, message="work order never assigned")
    assert orders[0]["engineer_id"] == f"ENG-{site}"

    completion = {
        "outcome": "repaired", "labour_minutes": 45,
        "parts_used": [{"part_no": PART, "qty": 1, "faulty_serial": "PCB-OLD-1"}],
        "failure": {"symptom_code": "E21", "failure_mode": "open_circuit", "cause_code": "C-SOLDER",
                    "failed_part_no": PART, "description": "Cracked solder joint on the motor driver"},
        "customer_signed": True}
    complete_url = platform.url("dispatch", f"/api/v1/work-orders/{orders[0]['id']}/complete")
    done = requests.post(complete_url, json=completion, timeout=10)
    assert done.status_code == 200, done.text
    assert requests.post(complete_url, json=completion, timeout=10).status_code == 409

    settlement = wait_event(tap, ticket_id, "SettlementPosted").json()["data"]
    assert settlement["totals"]["customer"] == "0.00"
    assert settlement["totals"]["manufacturer"] != "0.00"

    for event_type in CORE_EVENTS:
        [message] = events_for(tap, ticket_id, event_type)
        envelope = message.json()
        assert message.routing_key == f"{event_type}.east.{site}"
        assert message.message_id == envelope["id"]
        assert message.type == event_type
        assert message.properties.delivery_mode == 2
        assert message.properties.content_type == "application/json"
        assert message.properties.app_id == envelope["source"]
        assert envelope["correlation_id"] == ticket_id
        if contract_dir() is not None:
            assert_conforms(envelope)

    def timeline_types():
        ticket = requests.get(platform.url("intake", f"/api/v1/tickets/{ticket_id}"), timeout=10).json()
        types = {entry["type"] for entry in ticket["timeline"]}
        return ticket if set(CORE_EVENTS) <= types else None

    ticket = wait_for(timeline_types, timeout=30, message="timeline never showed the four core events")
    assert ticket["status"] == "settled"

    stock = requests.get(platform.url("inventory", "/api/v1/stock"), params={"site": site, "part_no": PART},
                         timeout=10).json()
    assert (stock["on_hand"], stock["reserved"]) == (4, 0)
    failures = wait_for(lambda: requests.get(platform.url("fracas", "/api/v1/failures"),
                                             params={"ticket_id": ticket_id}, timeout=10).json(),
                        timeout=30, message="fracas never recorded the failure")
    assert failures[0]["work_order_id"] == orders[0]["id"]


def test_the_contract_conformance_check_ran_or_said_why_not():
    if contract_dir() is None:
        pytest.skip("contract directory ../shared/contract not found; conformance runs where it exists (CI)")
    assert (contract_dir() / "events" / "TicketCreated.v1.schema.json").is_file()


def test_a_ticket_taken_while_the_broker_is_down_is_published_once_it_is_back(platform, tap, site):
    platform.proxy.stop_accepting_and_cut()
    try:
        created = requests.post(platform.url("intake", "/api/v1/tickets"), json=ticket_body(site, parts=()),
                                timeout=10)
        assert created.status_code == 201, created.text
        ticket_id = created.json()["id"]
        wait_for(lambda: 'outbox_pending_messages{service="intake"} 1.0' in
                 requests.get(platform.url("intake", "/metrics"), timeout=10).text,
                 timeout=10, message="the ticket's event should wait in intake's outbox")
        assert not events_for(tap, ticket_id, "TicketCreated")
    finally:
        platform.proxy.resume()
    wait_event(tap, ticket_id, "TicketCreated", timeout=60)
    orders = wait_for(lambda: requests.get(platform.url("dispatch", "/api/v1/work-orders"),
                                           params={"ticket_id": ticket_id}, timeout=10).json(),
                      timeout=60, message="dispatch never saw the ticket after the broker came back")
    assert len(orders) == 1
    assert len(events_for(tap, ticket_id, "TicketCreated")) == 1


def test_a_duplicated_ticket_event_has_one_effect_everywhere(platform, tap, site, amqp_vhost):
    created = requests.post(platform.url("intake", "/api/v1/tickets"), json=ticket_body(site), timeout=10)
    ticket_id = created.json()["id"]
    original = wait_event(tap, ticket_id, "TicketCreated")
    wait_event(tap, ticket_id, "PartReserved")
    before = requests.get(platform.url("inventory", "/api/v1/stock"), params={"site": site, "part_no": PART},
                          timeout=10).json()

    for _ in range(2):
        publish(amqp_vhost, original.routing_key, original.body, message_id=original.message_id,
                type=original.type, app_id=original.properties.app_id, content_type="application/json",
                delivery_mode=2)

    # Queues are FIFO per consumer: once a later ticket is through, the duplicates were handled.
    marker = requests.post(platform.url("intake", "/api/v1/tickets"), json=ticket_body(site, parts=()),
                           timeout=10).json()["id"]
    wait_for(lambda: requests.get(platform.url("dispatch", "/api/v1/work-orders"),
                                  params={"ticket_id": marker}, timeout=10).json(), timeout=30,
             message="marker ticket never reached dispatch")
    orders = requests.get(platform.url("dispatch", "/api/v1/work-orders"), params={"ticket_id": ticket_id},
                          timeout=10).json()
    assert len(orders) == 1
    after = requests.get(platform.url("inventory", "/api/v1/stock"), params={"site": site, "part_no": PART},
                         timeout=10).json()
    assert after["reserved"] == before["reserved"]
    assert len(events_for(tap, ticket_id, "PartReserved")) == 1
