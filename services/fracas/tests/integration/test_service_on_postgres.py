"""FRACAS end to end on PostgreSQL: HTTP in, events through the bus, figures out."""
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import func, select

from aftersales_shared.migrations import upgrade
from event_builders import reposted, repair_completed, settlement_posted, ticket_created
from fracas.adapters.tables import installed_units
from fracas.bootstrap import bootstrap
from fracas.config import Settings
from fracas.entrypoints.flask_app import create_app

pytestmark = pytest.mark.integration

# NIST/SEMATECH e-Handbook 8.4.1.3: 20 units, 10 failures (ages below), 10 removed unfailed at 500.
NIST_FAILURE_AGES = [54, 187, 216, 240, 244, 335, 361, 373, 375, 386]
DAY_ZERO = date(2020, 1, 1)


@pytest.fixture
def fracas(pg_database):
    container = bootstrap(Settings(database_url=pg_database("fracas")))
    upgrade(container.runtime.migrations_dir, container.runtime.engine)
    yield container
    container.runtime.dispose()


@pytest.fixture
def client(fracas):
    return create_app(fracas).test_client()


def completed_on(day: date) -> datetime:
    return datetime.combine(day, time(10, 30), tzinfo=timezone.utc)


def unit_count(fracas):
    with fracas.runtime.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(installed_units)).scalar()


def test_weibull_of_the_nist_reference_data_end_to_end(client, fracas):
    serials = [f"NIST-{n:02d}" for n in range(1, 21)]
    response = client.post("/api/v1/installed-base", json=[
        {"serial": serial, "model": "RX-7", "category": "pump", "purchase_date": DAY_ZERO.isoformat()}
        for serial in serials
    ] + [{"serial": "OTHER-1", "model": "RX-8", "category": "pump", "purchase_date": DAY_ZERO.isoformat()}])
    assert response.status_code == 201

    bus = fracas.runtime.bus
    for serial, age in zip(serials, NIST_FAILURE_AGES):
        failure = repair_completed(serial=serial, model="RX-7", purchase_date=None,
                                   completed_at=completed_on(DAY_ZERO + timedelta(days=age)))
        bus.handle(failure)
        bus.handle(reposted(failure))  # the same repair reported twice is one failure
    # None of these may change the figures: a later failure of a failed unit, a visit that found
    # nothing, another model's failure, and a failure after as_of.
    bus.handle(repair_completed(serial=serials[0], model="RX-7", completed_at=completed_on(date(2020, 9, 1))))
    bus.handle(repair_completed(serial=serials[15], model="RX-7", outcome="no_fault_found",
                                completed_at=completed_on(date(2020, 6, 1))))
    bus.handle(repair_completed(serial="OTHER-1", model="RX-8", completed_at=completed_on(date(2020, 3, 1))))
    bus.handle(repair_completed(serial=serials[19], model="RX-7",
                                completed_at=completed_on(DAY_ZERO + timedelta(days=501))))

    as_of = DAY_ZERO + timedelta(days=500)
    response = client.get(f"/api/v1/reliability/weibull?model=RX-7&as_of={as_of.isoformat()}")

    assert response.status_code == 200
    body = response.json
    assert (body["failures"], body["suspensions"]) == (10, 10)
    assert body["beta"] == pytest.approx(1.7208, rel=1e-4)
    assert body["eta"] == pytest.approx(606.5280, rel=1e-5)
    assert body["log_likelihood"] == pytest.approx(-75.135, abs=5e-4)
    assert body["b10_days"] == pytest.approx(606.5280 * 0.1053605 ** (1 / 1.7208), rel=1e-3)
    assert body["skipped"] == 0


def test_registering_ten_thousand_units_then_a_bad_batch_changes_nothing(client, fracas):
    units = [{"serial": f"BULK-{n:05d}", "model": "WM-100", "category": "washer", "purchase_date": "2024-01-01"}
             for n in range(10_000)]

    response = client.post("/api/v1/installed-base", json=units)
    assert response.status_code == 201 and response.json == {"registered": 10_000}
    assert unit_count(fracas) == 10_000

    update = [{**units[0], "model": "WM-110"}, {**units[1], "purchase_date": "not a date"}]
    response = client.post("/api/v1/installed-base", json=update)
    assert response.status_code == 400
    assert response.json["errors"] == {"1": {"purchase_date": ["Not a valid date."]}}

    response = client.post("/api/v1/installed-base", json=[{**units[0], "model": "WM-110"}])
    assert response.status_code == 201
    assert unit_count(fracas) == 10_000
    with fracas.uow_factory() as uow:
        assert uow.installed_base.get("BULK-00000").model == "WM-110"
        assert uow.installed_base.get("BULK-00001").model == "WM-100"


def test_failure_report_with_cost_posted_before_the_repair(client, fracas):
    bus = fracas.runtime.bus
    bus.handle(settlement_posted("WO-P1", "T-P1", customer="35.00", manufacturer="1234567.89", settlement_id="ST-P1"))
    repair = repair_completed("WO-P1", "T-P1", serial="SN-P1", completed_at=completed_on(date(2024, 6, 1)))
    bus.handle(repair)
    bus.handle(reposted(repair))
    bus.handle(ticket_created("T-P1", serial="SN-P1", first_open_failure=True))

    response = client.get("/api/v1/failures?ticket_id=T-P1")

    assert response.status_code == 200
    [record] = response.json
    assert record["work_order_id"] == "WO-P1" and record["first_open_failure"] is True
    assert record["cost"]["customer"] == "35.00"
    assert record["cost"]["manufacturer"] == "1234567.89"
    assert record["cost"]["total"] == "1234602.89"
    assert record["completed_at"] == "2024-06-01T10:30:00Z"


def test_the_life_table_in_sql_agrees_with_the_unit_by_unit_rules(fracas, client):
    """PostgreSQL's one-pass GROUPING SETS life table against the same rules applied unit by unit."""
    from fracas.adapters.analytics import AbstractAnalyticsRepository

    units = [{"serial": f"U{i}", "model": "WM-100", "category": "washer",
              "purchase_date": (DAY_ZERO + timedelta(days=i % 9)).isoformat(), "batch": f"B-{i % 3}"}
             for i in range(40)]
    assert client.post("/api/v1/installed-base", json=units).status_code == 201
    bus = fracas.runtime.bus
    for i in range(0, 40, 4):  # registered units failing (U0 twice: only its first failure counts)
        bus.handle(repair_completed(serial=f"U{i}", purchase_date=None,
                                    completed_at=completed_on(DAY_ZERO + timedelta(days=30 + i))))
    bus.handle(repair_completed(serial="U0", completed_at=completed_on(DAY_ZERO + timedelta(days=200))))
    # Unregistered units known from their reports, one failing after as_of, one without a purchase date,
    # one failing before it was bought.
    bus.handle(repair_completed(serial="X1", purchase_date=DAY_ZERO, completed_at=completed_on(DAY_ZERO + timedelta(days=50))))
    bus.handle(repair_completed(serial="X2", purchase_date=DAY_ZERO, completed_at=completed_on(DAY_ZERO + timedelta(days=900))))
    bus.handle(repair_completed(serial="X3", purchase_date=None, completed_at=completed_on(DAY_ZERO + timedelta(days=60))))
    bus.handle(repair_completed(serial="U1", purchase_date=None, completed_at=completed_on(DAY_ZERO - timedelta(days=5))))
    as_of = DAY_ZERO + timedelta(days=365)

    with fracas.uow_factory() as uow:
        in_sql = uow.analytics.life_table("WM-100", as_of)
        by_unit = AbstractAnalyticsRepository.life_table(uow.analytics, "WM-100", as_of)

    assert in_sql == by_unit
    assert sum(in_sql.failures.values()) == 11 and in_sql.no_purchase_date == 1 and in_sql.failed_before_purchase == 1
    assert sum(in_sql.suspensions.values()) == 40 - 10 - 1 + 1  # unfailed registered units, and X2 by as_of
