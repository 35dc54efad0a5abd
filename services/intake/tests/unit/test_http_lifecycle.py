"""The lifecycle over HTTP, on SQLite: actions, 409 naming the state, the timeline with its audit lines."""
from aftersales_shared.testing import database

from intake.adapters.tables import outbox

from samples import report, ticket_body

TICKETS = "/api/v1/tickets"


def _published(intake):
    return [body["type"] for body in database.outbox_bodies(intake.runtime.engine, outbox)]


def test_diagnosed_on_the_phone_and_resolved_then_nothing_more_is_allowed(client, intake):
    ticket = client.post(TICKETS, json={**ticket_body(), "diagnose_first": True, "operator": "op-1"}).json
    assert ticket["state"] == "diagnosing"
    assert client.put("/api/v1/kb/articles/KB-9", json={"title": "Frozen menu", "symptoms": "Menu frozen",
                                                         "steps": ["Power cycle"]}).status_code == 201

    resolved = client.post(f"{TICKETS}/{ticket['id']}/resolve-by-phone",
                           json={"operator": "op-1", "reason": "power cycle", "article_id": "KB-9"})
    assert resolved.status_code == 200, resolved.json
    assert (resolved.json["state"], resolved.json["kb_article_id"]) == ("closed", "KB-9")
    assert _published(intake) == ["TicketClosed"]

    refused = client.post(f"{TICKETS}/{ticket['id']}/cancel", json={"reason": "late"})
    assert refused.status_code == 409
    assert refused.json["message"] == "The ticket is closed."
    assert "'closed'" in refused.json["errors"]["state"][0]

    timeline = client.get(f"{TICKETS}/{ticket['id']}").json["timeline"]
    assert [(e["type"], e["change"]["from"], e["change"]["to"], e["change"]["by"]) for e in timeline] == [
        ("StateChanged", "new", "diagnosing", "op-1"),
        ("StateChanged", "diagnosing", "resolved_by_phone", "op-1"),
        ("TicketClosed", "resolved_by_phone", "closed", "op-1"),
    ]


def test_quote_then_accept_over_http(client, intake):
    ticket = client.post(TICKETS, json={**ticket_body(), "quote_required": True}).json
    assert ticket["state"] == "awaiting_quote"
    quoted = client.post(f"{TICKETS}/{ticket['id']}/quote",
                         json={"amount": "150.00", "valid_until": "2026-03-20T00:00:00Z"})
    assert quoted.status_code == 200, quoted.json
    assert quoted.json["quote"]["amount"] == "150.00"
    accepted = client.post(f"{TICKETS}/{ticket['id']}/quote/accept", json={})
    assert accepted.json["state"] == "awaiting_dispatch"
    assert _published(intake) == ["TicketCreated", "QuoteAccepted"]


def test_cancel_refused_after_parts_reserved_names_the_reason(client, intake):
    ticket = client.post(TICKETS, json=ticket_body()).json
    intake.runtime.bus.handle(report("PartReserved", ticket["id"]))
    refused = client.post(f"{TICKETS}/{ticket['id']}/cancel", json={"reason": "changed mind"})
    assert refused.status_code == 409
    assert "Parts are reserved" in refused.json["errors"]["state"][0]
    assert client.get(f"{TICKETS}/{ticket['id']}").json["state"] == "awaiting_dispatch"


def test_actions_on_an_unknown_ticket_are_404_and_bad_bodies_400(client):
    assert client.post(f"{TICKETS}/nope/cancel", json={"reason": "x"}).status_code == 404
    ticket = client.post(TICKETS, json=ticket_body()).json
    bad = client.post(f"{TICKETS}/{ticket['id']}/callback", json={"outcome": "done", "score": 6})
    assert bad.status_code == 400 and "score" in bad.json["errors"]
    assert client.post(f"{TICKETS}/{ticket['id']}/cancel", json={}).status_code == 400
    assert client.post(f"{TICKETS}/{ticket['id']}/quote", json={"amount": 12.5, "valid_until": "x"}).status_code == 400


def test_proof_supplied_after_the_call_decides_the_warranty_again(client):
    body = ticket_body()
    body["product"]["purchase_date"] = None
    ticket = client.post(TICKETS, json=body).json
    assert ticket["warranty"]["status"] == "unknown"
    decided = client.post(f"{TICKETS}/{ticket['id']}/warranty",
                          json={"purchase_date": "2026-01-05", "proof_of_purchase": "invoice", "operator": "op-3"})
    assert decided.status_code == 200, decided.json
    assert decided.json["warranty"]["status"] == "in_warranty"
    assert decided.json["product"]["proof_of_purchase"] == "invoice"
    again = client.get(f"{TICKETS}/{ticket['id']}").json
    assert again["warranty"] == decided.json["warranty"]
    assert again["timeline"][-1]["type"] == "WarrantyDecided"
