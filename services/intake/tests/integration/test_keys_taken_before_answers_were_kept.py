"""An Idempotency-Key taken before answers were kept with it still replays its ticket after the upgrade."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from aftersales_shared.idempotency import IdempotentRequest
from aftersales_shared.migrations import upgrade
from aftersales_shared.tables import UtcDateTime

from intake.adapters.tables import tickets
from intake.bootstrap import MIGRATIONS, bootstrap
from intake.config import Settings
from intake.domain.tickets import Fault, Product
from intake.entrypoints.flask_app import create_app
from intake.service_layer import handlers
from intake.service_layer.commands import CreateTicket

pytestmark = pytest.mark.integration

ACCEPTED_AT = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
BODY = {
    "channel": "web", "service_type": "depot", "priority": "P2", "site": "SH-01", "region": "east",
    "customer": {"name": "Wang Fang", "phone": "+86 138 0013 8000", "address": None},
    "product": {"model": "TV-55X", "serial": "SN-0001", "category": "television", "purchase_date": "2025-06-01",
                "batch": None},
    "fault": {"description": "No picture", "first_open_failure": False, "symptom_code": None},
    "parts": [],
}
COMMAND = CreateTicket(
    channel="web", service_type="depot", priority="P2", site="SH-01", region="east", customer_name="Wang Fang",
    customer_phone="+86 138 0013 8000", customer_address=None,
    product=Product("TV-55X", "SN-0001", "television", date(2025, 6, 1)), fault=Fault("No picture", False), parts=(),
)

# The key table as revision 0002 left it.
OLD_KEYS = Table("idempotency_keys", MetaData(), Column("key", String(200)), Column("request_hash", String(64)),
                 Column("ticket_id", String(36)), Column("created_at", UtcDateTime()))


def drop_everything(engine) -> None:
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)


def test_a_retry_under_a_key_kept_before_the_upgrade_gets_its_ticket(any_database):
    intake = bootstrap(Settings.from_env({"DATABASE_URL": any_database}), clock=lambda: ACCEPTED_AT)
    engine = intake.runtime.engine
    try:
        # Made at head, then moved into a database as revision 0002 left it: the rows as they were then.
        upgrade(MIGRATIONS, engine)
        ticket = handlers.create_ticket(COMMAND, intake.uow_factory(), intake.rules, intake.events)
        with engine.connect() as connection:
            ticket_row = dict(connection.execute(select(tickets).where(tickets.c.id == ticket.id)).mappings().one())
        drop_everything(engine)
        upgrade(MIGRATIONS, engine, "0002")
        request = IdempotentRequest.of("old-key", "POST /api/v1/tickets", BODY)
        with engine.begin() as connection:
            then = Table("tickets", MetaData(), autoload_with=connection)
            connection.execute(insert(then).values({k: v for k, v in ticket_row.items() if k in then.c}))
            connection.execute(insert(OLD_KEYS).values(
                key="old-key", request_hash=request.request_hash, ticket_id=ticket.id, created_at=ACCEPTED_AT))

        upgrade(MIGRATIONS, engine)
        again = create_app(intake).test_client().post("/api/v1/tickets", json=BODY,
                                                      headers={"Idempotency-Key": "old-key"})

        assert again.status_code == 201, again.json
        assert (again.json["id"], again.json["ticket_no"]) == (ticket.id, ticket.ticket_no)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.headers["Location"] == f"/api/v1/tickets/{ticket.id}"
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(tickets)).scalar_one() == 1
    finally:
        intake.runtime.dispose()
