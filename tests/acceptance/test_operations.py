"""The operators' CLI against the whole platform: a seeded organisation, a ticket's story, a replayed poison message."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import create_engine, text

from aftersales_ops.demo.organisation import build
from aftersales_shared.testing.helpers import unique, wait_for

pytestmark = pytest.mark.e2e
SEED, TICKETS, UNITS_PER_SITE, PARTS = 11, 20, 2, 1
SEED_ARGS = ("demo", "seed", "--seed", str(SEED), "--tickets", str(TICKETS), "--units-per-site", str(UNITS_PER_SITE),
             "--parts-per-category", str(PARTS), "--wait", "60")
CORE = ("TicketCreated", "PartReserved", "RepairCompleted", "SettlementPosted")


@pytest.fixture(scope="module")
def seeded(aftersales):
    return aftersales.json(*SEED_ARGS, timeout=180)


def test_demo_seed_loads_an_organisation_with_history(platform, seeded):
    org = build(SEED, tickets=TICKETS, units_per_site=UNITS_PER_SITE, parts_per_category=PARTS)
    counts = seeded["counts"]
    assert counts["regions"] == 5
    assert counts["service_points"] == len(org.sites) >= 50
    assert counts["engineers"] == len(org.engineers)
    assert counts["stock_receipts"] == len(org.receipts)
    assert counts["installed_base"] == len(org.sites) * UNITS_PER_SITE
    assert counts["tickets"] == counts["work_orders"] == counts["repairs_completed"] == TICKETS
    assert counts["settlements"] == counts["failure_records"] == TICKETS
    assert len(set(seeded["tickets"])) == TICKETS
    # What the services themselves hold, not only what the seeder says it did.
    site = org.sites[0].code
    engineers = requests.get(platform.url("dispatch", "/api/v1/engineers"), params={"site": site}, timeout=10).json()
    assert {e["engineer_id"] for e in engineers} == {e.engineer_id for e in org.engineers if e.site == site}
    ticket = requests.get(platform.url("intake", f"/api/v1/tickets/{seeded['tickets'][0]}"), timeout=10).json()
    assert ticket["site"] == org.jobs[0].site.code
    # Whatever the services do not offer yet is named, never silently left out.
    if "dealers" not in counts:
        assert "POST /api/v1/partners" in seeded["skipped"]["dealers"]


def test_seeding_again_with_the_same_seed_adds_nothing(aftersales, seeded):
    again = aftersales.quick(*SEED_ARGS)
    assert again["tickets"] == seeded["tickets"]
    assert again["counts"]["settlements"] == TICKETS  # one settlement per ticket still, not two


def test_trace_of_a_settled_ticket_shows_all_its_events_in_causal_order(aftersales, seeded):
    ticket_id = seeded["tickets"][0]
    story = aftersales.quick("trace", ticket_id)
    assert story["status"] == "settled"
    events = story["events"]
    types = [event["type"] for event in events]
    assert set(CORE) <= set(types)
    assert types[0] == "TicketCreated"
    assert types.index("RepairCompleted") < types.index("SettlementPosted")
    position = {event["event_id"]: event["position"] for event in events}
    for event in events:
        assert event["emitted_by"], f"{event['type']} has no emitter in the trace"
        if event["causation_id"]:
            assert position[event["causation_id"]] < event["position"], event
    created = events[0]
    assert {"dispatch", "inventory", "fracas"} <= set(created["consumed_by"])
    repair = next(e for e in events if e["type"] == "RepairCompleted")
    assert {"billing", "fracas", "intake"} <= set(repair["consumed_by"])
    assert len(story["settlements"]) == 1 and len(story["failures"]) == 1
    assert story["work_orders"][0]["status"] == "completed"
    assert story["unreachable"] == {}

    readable = aftersales("trace", ticket_id)
    assert readable.returncode == 0
    lines = readable.stdout.splitlines()
    assert lines[0] == f"ticket {ticket_id}: settled"
    assert [t for line in lines for t in CORE if f" {t} " in line][:1] == ["TicketCreated"]


def test_dlq_replay_of_a_fixed_poison_message_completes_its_ticket(platform, aftersales):
    site = unique("OPS")[:32]
    requests.post(platform.url("dispatch", "/api/v1/engineers"), json={
        "engineer_id": f"ENG-{site}", "name": "Zhao Lei", "site": site, "region": "west",
        "skills": ["television"]}, timeout=10).raise_for_status()
    created = requests.post(platform.url("intake", "/api/v1/tickets"), json={
        "channel": "hotline", "service_type": "onsite", "site": site, "region": "west",
        "customer": {"name": "Sun Na", "phone": "13900000000"},
        "product": {"model": "TV-55Q", "serial": unique("SN"), "category": "television",
                    "purchase_date": (date.today() - timedelta(days=200)).isoformat()},
        "fault": {"description": "No picture", "first_open_failure": False}}, timeout=10)
    ticket_id = created.json()["id"]
    order = wait_for(lambda: [o for o in requests.get(platform.url("dispatch", "/api/v1/work-orders"),
                                                      params={"ticket_id": ticket_id}, timeout=10).json()
                              if o["status"] == "assigned"], timeout=30, message="never assigned")[0]

    # The fault: billing's ledger refuses this ticket's settlement (say, a table locked for an audit).
    billing_db = create_engine(platform.database_urls["billing"])
    with billing_db.begin() as connection:
        connection.execute(text(f"""
            CREATE FUNCTION refuse_for_audit() RETURNS trigger AS $$ BEGIN
              IF NEW.ticket_id = '{ticket_id}' THEN RAISE EXCEPTION 'ledger closed for audit'; END IF;
              RETURN NEW; END $$ LANGUAGE plpgsql"""))
        connection.execute(text("CREATE TRIGGER refuse_for_audit BEFORE INSERT ON settlements "
                                "FOR EACH ROW EXECUTE FUNCTION refuse_for_audit()"))
    try:
        requests.post(platform.url("dispatch", f"/api/v1/work-orders/{order['id']}/complete"), json={
            "outcome": "repaired", "labour_minutes": 30, "parts_used": [],
            "failure": {"symptom_code": "T01", "failure_mode": "no_power", "cause_code": "C-PSU",
                        "failed_part_no": "PSU-700", "description": "Power board fuse"},
            "customer_signed": True}, timeout=10).raise_for_status()

        def parked():
            shown = aftersales.quick("dlq", "show", "--service", "billing", "--type", "RepairCompleted")["billing"]
            return [m for m in shown if m["body"]["subject"] == ticket_id]

        [message] = wait_for(parked, timeout=45, message="billing never parked the poison RepairCompleted")
        assert "ledger closed for audit" in message["error"]
        assert message["attempts"] >= 1
    finally:
        with billing_db.begin() as connection:  # the fix
            connection.execute(text("DROP TRIGGER refuse_for_audit ON settlements"))
            connection.execute(text("DROP FUNCTION refuse_for_audit()"))
        billing_db.dispose()
    assert requests.get(platform.url("billing", "/api/v1/settlements"), params={"ticket_id": ticket_id},
                        timeout=10).json() == []

    assert aftersales.quick("dlq", "replay", "--service", "billing", "--id", message["message_id"]) == {
        "replayed": {"billing": 1}}
    wait_for(lambda: requests.get(platform.url("intake", f"/api/v1/tickets/{ticket_id}"),
                                  timeout=10).json()["status"] == "settled",
             timeout=30, message="the replayed RepairCompleted never settled the ticket")
    assert len(requests.get(platform.url("billing", "/api/v1/settlements"), params={"ticket_id": ticket_id},
                            timeout=10).json()) == 1
    left = aftersales.quick("dlq", "list", "--service", "billing", "--id", message["message_id"])
    assert left == {"billing": []}


def test_outbox_status_and_unroutable_list_read_the_live_platform(aftersales):
    status = aftersales.quick("outbox", "status")["services"]
    assert [s["service"] for s in status] == ["intake", "dispatch", "inventory", "billing", "fracas"]
    assert all("error" not in s and s["pending"] >= 0 for s in status)
    assert isinstance(aftersales.quick("unroutable", "list")["messages"], list)
    # Exit 1 would only mean something needs a look (say, an event type nobody consumes yet).
    glance = aftersales.quick("status", codes=(0, 1))["services"]
    assert [s["service"] for s in glance] == [s["service"] for s in status]
    assert all(s["ready"] and s["parked"] == 0 and s["queued"] is not None for s in glance)


def test_reliability_wraps_fracas_on_the_seeded_field_data(aftersales, seeded):
    org = build(SEED, tickets=TICKETS, units_per_site=UNITS_PER_SITE, parts_per_category=PARTS)
    models = [job.unit.model for job in org.jobs]
    model = max(set(models), key=models.count)
    assert models.count(model) >= 2, "the seed should give one model at least two failures"
    fit = aftersales.quick("reliability", "weibull", "--model", model)
    assert fit["failures"] >= 2 and fit["beta"] > 0 and fit["eta"] > 0
