from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from event_builders import repair_completed, settlement_posted, ticket_created
from fracas.adapters.tables import installed_units, metadata
from fracas.bootstrap import bootstrap
from fracas.config import Settings
from fracas.domain.weibull import fit_weibull
from fracas.entrypoints.flask_app import create_app

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def fracas(tmp_path):
    container = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'fracas.db'}"), clock=lambda: NOW)
    metadata.create_all(container.runtime.engine)
    yield container
    container.runtime.dispose()


@pytest.fixture
def client(fracas):
    return create_app(fracas).test_client()


def unit(serial, purchase_date="2024-01-01", model="WM-100", **extra):
    return {"serial": serial, "model": model, "category": "washer", "purchase_date": purchase_date, **extra}


def registered_units(fracas):
    with fracas.runtime.engine.connect() as connection:
        return {row.serial: row for row in connection.execute(select(installed_units))}


def unit_count(fracas):
    with fracas.runtime.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(installed_units)).scalar()


def at(day: str, hour: int = 16) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)


# -- installed base -------------------------------------------------------------------------------

def test_registering_units(client, fracas):
    response = client.post("/api/v1/installed-base", json=[unit("A", batch="B-1"), unit("B", "2024-02-03")])

    assert response.status_code == 201
    assert response.json == {"registered": 2}
    units = registered_units(fracas)
    assert set(units) == {"A", "B"}
    assert units["A"].batch == "B-1" and units["B"].batch is None
    assert units["B"].purchase_date == date(2024, 2, 3)
    assert units["A"].registered_at == NOW


def test_registering_a_serial_again_updates_it(client, fracas):
    client.post("/api/v1/installed-base", json=[unit("A"), unit("B")])

    response = client.post("/api/v1/installed-base", json=[unit("A", "2024-01-09", model="WM-110", batch="B-2")])

    assert response.status_code == 201 and response.json == {"registered": 1}
    units = registered_units(fracas)
    assert len(units) == 2
    assert (units["A"].model, units["A"].purchase_date, units["A"].batch) == ("WM-110", date(2024, 1, 9), "B-2")


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ([unit("A"), unit("B", "2024-02-30")], {"1": {"purchase_date": ["Not a valid date."]}}),
        ([unit("A"), {"serial": "B", "model": "WM-100"}],
         {"1": {"category": ["Missing data for required field."],
                "purchase_date": ["Missing data for required field."]}}),
        ([unit("A", model="")], {"0": {"model": ["Length must be between 1 and 100."]}}),
        ([unit("A", "2999-01-01")], {"0": {"purchase_date": ["Purchase date cannot be in the future."]}}),
        ([unit("A"), unit("B"), unit("A")], {"2": {"serial": ["Repeats the serial of item 0."]}}),
        ([unit("A"), "B"], {"1": {"_schema": ["Invalid input type."]}}),
        ([], {"body": ["Must be a JSON array of 1 to 10000 units."]}),
        (unit("A"), {"body": ["Must be a JSON array of 1 to 10000 units."]}),
        ([unit(f"S{i}") for i in range(10_001)], {"body": ["Must be a JSON array of 1 to 10000 units."]}),
    ],
    ids=["bad-date", "missing-fields", "empty-model", "future-date", "repeated-serial", "not-an-object",
         "empty", "not-an-array", "too-many"],
)
def test_a_bad_registration_is_refused_naming_item_and_field_and_writes_nothing(client, fracas, body, errors):
    client.post("/api/v1/installed-base", json=[unit("KNOWN")])

    response = client.post("/api/v1/installed-base", json=body)

    assert response.status_code == 400
    assert response.json["errors"] == errors
    assert set(registered_units(fracas)) == {"KNOWN"}


@pytest.mark.parametrize(
    ("data", "content_type", "field"),
    [("[{", "application/json", "body"), ('[{"serial": "A"}]', "text/plain", "body")],
    ids=["not-json", "not-declared-json"],
)
def test_a_body_that_is_not_json_is_refused(client, fracas, data, content_type, field):
    response = client.post("/api/v1/installed-base", data=data, content_type=content_type)

    assert response.status_code == 400
    assert field in response.json["errors"]
    assert unit_count(fracas) == 0


# -- Weibull --------------------------------------------------------------------------------------

def fail(fracas, serial, day, purchase_date=None, model="WM-100", outcome="repaired"):
    fracas.runtime.bus.handle(repair_completed(
        serial=serial, model=model, completed_at=at(day), outcome=outcome,
        purchase_date=date.fromisoformat(purchase_date) if purchase_date else None,
    ))


def test_weibull_fits_the_installed_base_and_its_failures(client, fracas):
    client.post("/api/v1/installed-base", json=[
        unit("S1", "2024-01-01"), unit("S2", "2024-01-01"), unit("S3", "2024-02-01"), unit("S4", "2024-03-01"),
        unit("S5", "2024-06-15"), unit("S6", "2025-01-05"), unit("S8", "2024-01-01", model="WM-200"),
        unit("S9", "2024-09-01"),
    ])
    fail(fracas, "S1", "2024-03-01")                          # failed at 60 days
    fail(fracas, "S2", "2024-07-19")                          # 200 days
    fail(fracas, "S3", "2024-02-11")                          # 10 days ...
    fail(fracas, "S3", "2024-06-01")                          # ... and again: only the first failure counts
    fail(fracas, "S5", "2024-08-01", outcome="no_fault_found")  # no failure: suspended at 199 days
    fail(fracas, "S7", "2024-05-01", purchase_date="2023-12-01")  # unregistered, 152 days
    fail(fracas, "S8", "2024-05-01")                          # registered as another model
    fail(fracas, "S9", "2025-02-01")                          # fails after as_of: suspended at 121 days
    fail(fracas, "S10", "2024-04-01")                         # unregistered, no purchase date: skipped
    # S4 never failed: suspended at 305 days; S6 was bought after as_of.

    response = client.get("/api/v1/reliability/weibull?model=WM-100&as_of=2024-12-31")

    assert response.status_code == 200
    expected = fit_weibull([60, 200, 10, 152], [305, 199, 121])
    body = response.json
    assert body["model"] == "WM-100" and body["as_of"] == "2024-12-31"
    assert (body["failures"], body["suspensions"]) == (4, 3)
    assert body["beta"] == pytest.approx(expected.beta, rel=1e-9)
    assert body["eta"] == pytest.approx(expected.eta, rel=1e-9)
    assert body["log_likelihood"] == pytest.approx(expected.log_likelihood, rel=1e-9)
    assert body["b10_days"] == pytest.approx(expected.b10, rel=1e-9)
    assert body["skipped"] == 1
    assert body["skipped_reasons"] == {"no_purchase_date": 1, "failed_before_purchase": 0}


def test_weibull_as_of_defaults_to_today(client, fracas):
    client.post("/api/v1/installed-base", json=[unit("S1", "2024-01-01"), unit("S2", "2024-01-01"),
                                                 unit("S3", "2024-01-01")])
    fail(fracas, "S1", "2024-03-01")
    fail(fracas, "S2", "2024-05-30")

    response = client.get("/api/v1/reliability/weibull?model=WM-100")

    assert response.status_code == 200
    assert response.json["as_of"] == NOW.date().isoformat()
    expected = fit_weibull([60, 150], [(NOW.date() - date(2024, 1, 1)).days])
    assert response.json["eta"] == pytest.approx(expected.eta, rel=1e-9)


@pytest.mark.parametrize("failing", [[], ["S1"]], ids=["none", "one"])
def test_weibull_with_fewer_than_two_failures_is_422(client, fracas, failing):
    client.post("/api/v1/installed-base", json=[unit("S1"), unit("S2")])
    for serial in failing:
        fail(fracas, serial, "2024-03-01")

    response = client.get("/api/v1/reliability/weibull?model=WM-100&as_of=2024-12-31")

    assert response.status_code == 422
    [message] = response.json["errors"]["model"]
    assert "WM-100" in message and f"got {len(failing)}" in message


@pytest.mark.parametrize(
    ("query", "field"),
    [("as_of=2024-12-31", "model"), ("model=&as_of=2024-12-31", "model"), ("model=WM-100&as_of=31.12.2024", "as_of")],
    ids=["missing-model", "empty-model", "bad-as-of"],
)
def test_weibull_with_a_bad_query_is_400_naming_the_field(client, query, field):
    response = client.get(f"/api/v1/reliability/weibull?{query}")

    assert response.status_code == 400
    assert list(response.json["errors"]) == [field]


# -- failure reports ------------------------------------------------------------------------------

def test_failures_of_a_ticket_with_cost_and_doa_flag(client, fracas):
    bus = fracas.runtime.bus
    bus.handle(settlement_posted("WO-1", "T-1", customer="0.00", manufacturer="180.50", settlement_id="ST-1"))
    bus.handle(repair_completed("WO-1", "T-1", serial="SN-5", completed_at=at("2024-06-01")))
    bus.handle(repair_completed("WO-2", "T-1", serial="SN-5", completed_at=at("2024-06-20"),
                                outcome="no_fault_found"))
    bus.handle(ticket_created("T-1", serial="SN-5", first_open_failure=True))
    bus.handle(repair_completed("WO-3", "T-OTHER"))

    response = client.get("/api/v1/failures?ticket_id=T-1")

    assert response.status_code == 200
    first, second = response.json
    assert first["work_order_id"] == "WO-1"
    assert first["counts_as_failure"] is True and first["first_open_failure"] is True
    assert first["completed_at"] == "2024-06-01T16:00:00Z"
    assert first["cost"] == {"settlement_id": "ST-1", "currency": "CNY", "customer": "0.00",
                             "manufacturer": "180.50", "total": "180.50", "posted_at": "2024-06-02T09:00:00Z"}
    assert first["failure"] == {"symptom_code": "E21", "failure_mode": "wear", "cause_code": "BEARING",
                                "failed_part_no": "PUMP-01", "description": "Drain pump seized"}
    assert first["product"] == {"model": "WM-100", "serial": "SN-5", "category": "washer",
                                "purchase_date": "2024-01-15", "batch": "B-2401"}
    assert first["parts_used"] == [{"part_no": "PUMP-01", "qty": 1, "faulty_serial": "P-99", "new_serial": None}]
    assert second["work_order_id"] == "WO-2"
    assert second["counts_as_failure"] is False and second["cost"] is None


def test_failures_of_a_ticket_fracas_has_not_heard_of_is_an_empty_list(client):
    response = client.get("/api/v1/failures?ticket_id=T-UNKNOWN")

    assert response.status_code == 200 and response.json == []


def test_failures_without_a_ticket_id_is_400(client):
    response = client.get("/api/v1/failures")

    assert response.status_code == 400
    assert "ticket_id" in response.json["errors"]


# -- the service's own endpoints ------------------------------------------------------------------

def test_health_metrics_and_openapi(client):
    assert client.get("/healthz").json == {"status": "ok", "service": "fracas"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and b'outbox_pending_messages{service="fracas"} 0.0' in metrics.data
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/installed-base", "/api/v1/reliability/weibull", "/api/v1/failures"} <= set(paths)
