"""On PostgreSQL and RabbitMQ: a dealer's event reaches the wire as posted (source partner/<id>); the knowledge
base's full-text search; desk paging on PostgreSQL."""
import sys
from pathlib import Path

import pytest

from aftersales_shared.migrations import upgrade
from aftersales_shared.relay import OutboxRelay
from aftersales_shared.testing import events
from aftersales_shared.timeutil import utcnow

from intake.adapters.secret_box import SecretBox
from intake.bootstrap import MIGRATIONS, bootstrap
from intake.config import Settings
from intake.entrypoints.flask_app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from dealer import as_partner, signed  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture
def intake(pg_database, messaging_settings):
    settings = Settings(database_url=pg_database("intake_gw"), messaging=messaging_settings(),
                        partner_secrets_key=SecretBox.new_key())
    container = bootstrap(settings, clock=utcnow)
    upgrade(MIGRATIONS, container.runtime.engine)
    yield container
    container.runtime.dispose()


def test_a_dealer_event_is_on_the_wire_as_posted(intake, wire_tap, start_relay):
    client = create_app(intake).test_client()
    secret = client.post("/api/v1/partners", json={"partner_id": "D-17", "name": "Huadong", "sites": ["SH-01"],
                                                   "event_types": ["RepairCompleted"]}).json["secret"]
    tap = wire_tap(binding_keys=("RepairCompleted.#",))
    start_relay(OutboxRelay("intake", intake.runtime.engine, intake.runtime.outbox, intake.runtime.messaging))
    envelope = as_partner("D-17", events.repair_completed())

    assert client.post("/api/v1/partner/events", data=signed("D-17", secret, envelope)[0],
                       headers=signed("D-17", secret, envelope)[1]).status_code == 202

    (message,) = tap.wait_until(lambda messages: len(messages) >= 1, timeout=15)
    sent = message.json()
    assert (sent["id"], sent["source"], sent["data"]) == (envelope["id"], "partner/D-17", envelope["data"])


def test_full_text_search_of_the_knowledge_base(intake):
    client = create_app(intake).test_client()
    for article_id, title, symptoms in (("KB-1", "No picture", "Screen stays black after a power cut"),
                                        ("KB-2", "Remote does not pair", "The remote is ignored")):
        assert client.put(f"/api/v1/kb/articles/{article_id}", json={
            "title": title, "symptoms": symptoms, "steps": ["Unplug"]}).status_code == 201
    assert [a["id"] for a in client.get("/api/v1/kb/articles", query_string={"q": "black screen"}).json] == ["KB-1"]
    assert client.get("/api/v1/kb/articles", query_string={"q": "power & | !"}).status_code == 200
