from datetime import datetime, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from aftersales_shared.db import make_engine
from aftersales_shared.migrations import upgrade

from billing.adapters.tables import metadata, outbox, settlements
from billing.bootstrap import MIGRATIONS, bootstrap
from billing.config import Settings
from billing.domain.settlement import Settlement, SettlementLine
from billing.domain.events import SettlementPosted
from billing.entrypoints.events import settlement_posted_data
from billing.service_layer.statements import close_period, statement_of
from billing.service_layer.unit_of_work import BillingUnitOfWork
from billing_events import catalogue_events

pytestmark = pytest.mark.integration

POSTED_AT = datetime(2026, 11, 21, 9, 15, 30, 123456, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def migrated_url(pg_database):
    # One database for the module: each database dropped costs PostgreSQL a checkpoint.
    url = pg_database("billing")
    engine = make_engine(url)
    upgrade(MIGRATIONS, engine)
    engine.dispose()
    return url


@pytest.fixture
def database_url(migrated_url):
    """The module's database, emptied: every test starts from no rows."""
    engine = make_engine(migrated_url)
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return migrated_url


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def settlement(settlement_id="S-1", work_order_id="WO-1") -> Settlement:
    def line(kind, qty, unit, amount, payer, part_no=None):
        return SettlementLine(kind=kind, description=f"{kind} {part_no or ''}".strip(), part_no=part_no,
                              qty=Decimal(qty), unit_amount=Decimal(unit), amount=Decimal(amount), payer=payer)

    return Settlement(
        settlement_id=settlement_id, ticket_id="T-1", work_order_id=work_order_id, payee="SH-01",
        warranty_status="out_of_warranty", currency="CNY", period="2026-11", posted_at=POSTED_AT,
        lines=(
            line("labour", "0.8333", "125.25", "104.38", "customer"),
            line("part", "3", "0.10", "0.30", "customer", part_no="FLT-400"),
            line("part", "1", "9999999999.99", "9999999999.99", "manufacturer", part_no="CMP-500"),
            line("adjustment", "1", "0.00", "0.00", "customer"),
        ),
    )


def test_migrated_schema_matches_the_metadata(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)

    assert differences == []


def test_a_settlement_round_trips_with_exact_decimals(engine):
    original = settlement()
    with BillingUnitOfWork(engine) as uow:
        uow.settlements.add(original)
        uow.commit()

    with BillingUnitOfWork(engine) as uow:
        loaded = uow.settlements.get("S-1")

    assert loaded == original
    assert [(str(l.unit_amount), str(l.amount)) for l in loaded.lines] == [
        ("125.25", "104.38"), ("0.10", "0.30"), ("9999999999.99", "9999999999.99"), ("0.00", "0.00"),
    ]
    assert str(loaded.manufacturer_total) == "9999999999.99" and str(loaded.customer_total) == "104.68"
    assert loaded.posted_at == POSTED_AT
    assert settlement_posted_data(SettlementPosted(loaded)) == settlement_posted_data(SettlementPosted(original))


def test_the_database_refuses_a_second_settlement_for_a_work_order(engine):
    with BillingUnitOfWork(engine) as uow:
        uow.settlements.add(settlement("S-1", "WO-1"))
        uow.commit()

    with pytest.raises(IntegrityError), BillingUnitOfWork(engine) as uow:
        uow.settlements.add(settlement("S-2", "WO-1"))
        uow.commit()

    with BillingUnitOfWork(engine) as uow:
        assert [s.settlement_id for s in uow.settlements.for_ticket("T-1")] == ["S-1"]


def test_repair_completed_is_settled_once_through_the_bus(database_url, repair_completed):
    billing = bootstrap(Settings(database_url=database_url))
    event = repair_completed()
    try:
        for price in catalogue_events():
            assert billing.runtime.bus.handle(price) is True
        assert billing.runtime.bus.handle(event) is True
        assert billing.runtime.bus.handle(event) is False
        assert billing.runtime.bus.handle(repair_completed(labour_minutes=600)) is True

        with billing.runtime.engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(settlements)).scalar() == 1
            assert connection.execute(select(outbox.c.routing_key)).scalars().all() == [
                "SettlementPosted.east.SH-01"]
    finally:
        billing.runtime.dispose()


def test_closing_a_period_on_postgresql_freezes_it_and_a_late_job_lands_in_the_next(database_url, repair_completed):
    clock = lambda: datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)  # noqa: E731
    billing = bootstrap(Settings(database_url=database_url), clock=clock)
    try:
        bus = billing.runtime.bus
        for price in catalogue_events():
            bus.handle(price)
        bus.handle(repair_completed(ticket_id="T-A", work_order_id="WO-A"))
        with billing.uow_factory() as uow:
            (issued,) = close_period(uow, billing.rules, "2026-11")
        bus.handle(repair_completed(ticket_id="T-B", work_order_id="WO-B"))  # completed in November, reported late

        with billing.uow_factory(read_only=True) as uow:
            november = statement_of(uow, billing.rules, "SH-01", "2026-11")
            december = statement_of(uow, billing.rules, "SH-01", "2026-12")
        assert november == issued and november["warranty_total"] == "265.00"
        assert december["late_adjustments"] == {"jobs": 1, "amount": "265.00", "tickets": ["T-B"]}
    finally:
        billing.runtime.dispose()
