"""GET /api/v1/outbox: what a service has written and not yet published, and how long it has waited."""
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import MetaData, update

from aftersales_shared.config import MessagingSettings
from aftersales_shared.envelope import new_envelope
from aftersales_shared.runtime import ServiceRuntime
from aftersales_shared.tables import inbox_table, outbox_table
from aftersales_shared.testing.outbox import OutboxDb
from aftersales_shared.timeutil import utcnow
from aftersales_shared.web import create_service_app


@dataclass
class Container:
    runtime: ServiceRuntime


def envelope(type_: str, subject: str):
    return new_envelope(type=type_, data={}, source="intake", subject=subject, region="east", site="SH-01")


def test_pending_events_their_age_and_the_last_publish(tmp_path):
    db = OutboxDb.create(f"sqlite:///{tmp_path / 'outbox.db'}")
    metadata = MetaData()
    outbox = outbox_table(metadata)
    inbox_table(metadata)
    runtime = ServiceRuntime("intake", MessagingSettings(), db.engine, metadata, outbox, Path("."))
    client = create_service_app(Container(runtime), title="Intake", blueprints=[]).test_client()

    idle = client.get("/api/v1/outbox").get_json()
    assert idle == {"service": "intake", "pending": 0, "oldest_pending_at": None, "lag_seconds": 0.0,
                    "pending_by_type": {}, "last_published_at": None}

    sent, waiting, waiting_too = envelope("TicketCreated", "T-1"), envelope("TicketCreated", "T-2"), envelope(
        "TicketClosed", "T-3")
    db.add(sent, waiting, waiting_too)
    an_hour_ago = utcnow() - timedelta(hours=1)
    with db.engine.begin() as connection:
        connection.execute(update(outbox).where(outbox.c.event_id == sent.id).values(sent_at=utcnow()))
        connection.execute(update(outbox).where(outbox.c.event_id == waiting.id).values(created_at=an_hour_ago))

    body = client.get("/api/v1/outbox").get_json()
    assert body["pending"] == 2
    assert body["pending_by_type"] == {"TicketCreated": 1, "TicketClosed": 1}
    assert 3590 < body["lag_seconds"] < 3700
    assert body["oldest_pending_at"].endswith("Z") and body["last_published_at"] is not None
    db.dispose()
