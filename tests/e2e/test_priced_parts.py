"""A part inventory has only just received is priced downstream: the money path end to end.

Inventory owns the parts catalogue and publishes each part's cost as PartPriceChanged; billing keeps a
replica of those prices and settles a repair's parts from it, never from a list of its own. This test
needs both sides: it passes once billing's price replica (its consumer of PartPriceChanged) is in the
same tree as inventory's catalogue. It is a real test on purpose (not skipped, not expected to fail):
until then a part first seen in a receipt is unpriced in billing, and the failure says so.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests

from aftersales_shared.testing.amqp import WireTap
from aftersales_shared.testing.helpers import unique, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def tap(platform, amqp_vhost):
    with WireTap(amqp_vhost) as wire:
        yield wire


def on_wire(tap: WireTap, event_type: str, subject: str):
    return [m for m in tap.of_type(event_type) if m.json()["subject"] == subject]


def test_a_part_first_received_into_inventory_settles_at_its_unit_cost(platform, tap):
    site = unique("PP")[:32]
    part_no = unique("PCB-NEW")[:64]
    requests.post(platform.url("dispatch", "/api/v1/engineers"), json={
        "engineer_id": f"ENG-{site}", "name": "Zhao Min", "site": site, "region": "east",
        "skills": ["washing_machine"]}, timeout=10).raise_for_status()

    # Never described, never priced anywhere: the receipt alone puts it in the catalogue.
    received = requests.post(platform.url("inventory", "/api/v1/stock/receipts"), json={
        "site": site, "part_no": part_no, "qty": 3, "unit_cost": "35.00"}, timeout=10)
    assert received.status_code == 201, received.text
    entry = requests.get(platform.url("inventory", f"/api/v1/parts/{part_no}"), timeout=10).json()
    assert (entry["unit_cost"], entry["revision"]) == ("35.00", 1)
    price = wait_for(lambda: on_wire(tap, "PartPriceChanged", part_no), timeout=30,
                     message="inventory never published the new part's price")[0]
    assert price.routing_key == "PartPriceChanged.all.all"
    assert price.json()["data"]["unit_cost"] == "35.00"

    created = requests.post(platform.url("intake", "/api/v1/tickets"), json={
        "channel": "hotline", "service_type": "onsite", "priority": "P2", "site": site, "region": "east",
        "customer": {"name": "Sun Li", "phone": "13900000000", "address": "9 Huaihai Road"},
        "product": {"model": "WM-700", "serial": unique("SN"), "category": "washing_machine",
                    "purchase_date": (date.today() - timedelta(days=60)).isoformat(), "batch": "B2026-05"},
        "fault": {"symptom_code": "E21", "description": "Drum does not spin", "first_open_failure": False},
        "parts": [{"part_no": part_no, "qty": 1}],
    }, timeout=10)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]

    wait_for(lambda: on_wire(tap, "PartReserved", ticket_id), timeout=30, message="the part was never reserved")
    orders = wait_for(lambda: [o for o in requests.get(platform.url("dispatch", "/api/v1/work-orders"),
                                                         params={"ticket_id": ticket_id}, timeout=10).json()
                               if o["status"] == "assigned"], timeout=30, message="work order never assigned")
    done = requests.post(platform.url("dispatch", f"/api/v1/work-orders/{orders[0]['id']}/complete"), json={
        "outcome": "repaired", "labour_minutes": 40,
        "parts_used": [{"part_no": part_no, "qty": 1, "faulty_serial": "OLD-1"}],
        "failure": {"symptom_code": "E21", "failure_mode": "open_circuit", "cause_code": "C-SOLDER",
                    "failed_part_no": part_no, "description": "Burnt driver stage"},
        "customer_signed": True}, timeout=10)
    assert done.status_code == 200, done.text

    settled = wait_for(lambda: on_wire(tap, "SettlementPosted", ticket_id), timeout=60,
                       message=f"no SettlementPosted for {ticket_id}: billing did not price {part_no} "
                               "from inventory's PartPriceChanged")
    settlement = settled[0].json()["data"]
    assert settlement["warranty_status"] == "in_warranty"
    [part_line] = [line for line in settlement["lines"] if line["kind"] == "part"]
    assert (part_line["part_no"], part_line["qty"], part_line["unit_amount"]) == (part_no, 1, "35.00")
    assert part_line["payer"] == "manufacturer"

    # Exactly one: once the ticket's timeline shows the settlement, billing has nothing left to post.
    wait_for(lambda: "SettlementPosted" in {entry["type"] for entry in requests.get(
        platform.url("intake", f"/api/v1/tickets/{ticket_id}"), timeout=10).json()["timeline"]},
        timeout=30, message="intake never saw the settlement")
    assert len(requests.get(platform.url("billing", "/api/v1/settlements"), params={"ticket_id": ticket_id},
                            timeout=10).json()) == 1
    assert len(on_wire(tap, "SettlementPosted", ticket_id)) == 1
