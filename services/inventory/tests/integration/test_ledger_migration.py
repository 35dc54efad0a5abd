"""Stock and receipts booked before the ledger and the catalogue existed are carried into both."""
from datetime import datetime, timezone
from decimal import Decimal

import json

from sqlalchemy import insert, select

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade
from inventory.adapters.tables import outbox, stock_levels, stock_receipts
from inventory.bootstrap import MIGRATIONS, bootstrap
from inventory.config import Settings

AT = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)


def test_existing_stock_opens_the_ledger_and_received_parts_enter_the_catalogue(any_database):
    engine = make_engine(any_database)
    try:
        upgrade(MIGRATIONS, engine, "0004")
        with engine.begin() as connection:
            connection.execute(insert(stock_levels), [
                {"site": "SH-01", "part_no": "PUMP-1", "on_hand": 4, "reserved": 1, "unit_cost": Decimal("11.0000"),
                 "updated_at": AT}])
            connection.execute(insert(stock_receipts), [
                {"id": "r1", "site": "SH-01", "part_no": "PUMP-1", "qty": 3, "unit_cost": Decimal("10.00"),
                 "received_at": AT},
                {"id": "r2", "site": "SH-01", "part_no": "PUMP-1", "qty": 1, "unit_cost": Decimal("14.00"),
                 "received_at": AT}])
        upgrade(MIGRATIONS, engine)
    finally:
        engine.dispose()

    inventory = bootstrap(Settings(database_url=any_database))
    try:
        with inventory.reader() as uow:
            [opening] = uow.stock.ledger("SH-01", "PUMP-1")
            part = uow.catalogue.get("PUMP-1")
        [job] = [job for job in inventory.runtime.periodic_jobs if job.name == "publish_unpublished_parts"]
        runs = [job.run(AT), job.run(AT)]
        with inventory.reader() as uow:
            published = uow.catalogue.get("PUMP-1")
        with inventory.runtime.engine.connect() as connection:
            told = connection.execute(select(outbox.c.body).where(outbox.c.event_type == "PartPriceChanged")).scalars()
            told = [json.loads(body)["data"] for body in told]
    finally:
        inventory.runtime.dispose()
    assert (opening.kind, opening.on_hand_change, opening.reserved_change) == ("opening", 4, 1)
    assert (part.unit_cost, part.received_qty, part.revision) == (Decimal("11.0000"), 4, 0)
    # Billing learns of the migrated part once: the job publishes it at revision 1, then has nothing to do.
    assert runs == [1, 0] and published.revision == 1
    assert [(data["part_no"], data["unit_cost"], data["revision"]) for data in told] == [("PUMP-1", "11.00", 1)]
