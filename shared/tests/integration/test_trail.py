"""GET /api/v1/events?correlation_id=: what a service consumed and emitted for one ticket."""
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import MetaData

from aftersales_shared.config import MessagingSettings
from aftersales_shared.envelope import caused_by, new_envelope
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.tables import inbox_table, outbox_table
from aftersales_shared.testing.outbox import OutboxDb
from aftersales_shared.web import create_service_app


@dataclass
class Container:
    runtime: ServiceRuntime


def test_a_service_tells_what_it_heard_and_said_about_one_ticket(tmp_path):
    db = OutboxDb.create(f"sqlite:///{tmp_path / 'trail.db'}")
    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    runtime = ServiceRuntime("dispatch", MessagingSettings(), db.engine, metadata, outbox, Path("."))
    client = create_service_app(Container(runtime), title="Dispatch", blueprints=[]).test_client()

    heard = new_envelope(type="TicketCreated", data={}, source="intake", subject="T-1", region="east", site="SH-01")
    other = new_envelope(type="TicketCreated", data={}, source="intake", subject="T-2", region="east", site="SH-01")
    said = caused_by(heard, type="EngineerAssigned", data={}, source="dispatch", subject="T-1")
    with db.uow() as uow:
        uow.claim_many([heard, other])
        uow.emit(said)
        uow.commit()

    body = client.get("/api/v1/events", query_string={"correlation_id": "T-1"}).get_json()
    assert body["service"] == "dispatch" and body["correlation_id"] == "T-1"
    [consumed] = body["consumed"]
    assert (consumed["event_id"], consumed["type"], consumed["source"]) == (heard.id, "TicketCreated", "intake")
    assert consumed["occurred_at"].endswith("Z") and consumed["causation_id"] is None
    [emitted] = body["emitted"]
    assert (emitted["event_id"], emitted["type"], emitted["causation_id"]) == (said.id, "EngineerAssigned", heard.id)
    assert emitted["routing_key"] == "EngineerAssigned.east.SH-01" and emitted["published_at"] is None

    assert client.get("/api/v1/events", query_string={"correlation_id": "T-9"}).get_json()["consumed"] == []
    missing = client.get("/api/v1/events")
    assert missing.status_code == 400 and "correlation_id" in missing.get_json()["errors"]
    assert client.get("/api/v1/events", query_string={"correlation_id": "a\x00b"}).status_code == 400
    db.dispose()
