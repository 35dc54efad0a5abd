from decimal import Decimal

import pytest
from sqlalchemy import func, select

from aftersales_shared.timeutil import utcnow

from inventory.adapters.tables import metadata, stock_levels, stock_receipts
from inventory.bootstrap import bootstrap
from inventory.config import Settings
from inventory.entrypoints.flask_app import create_app

RECEIPT = {"site": "SH-01", "part_no": "PUMP-1", "qty": 4, "unit_cost": "35.50"}


@pytest.fixture
def inventory(tmp_path):
    inventory = bootstrap(Settings(database_url=f"sqlite:///{tmp_path / 'inventory.db'}"))
    metadata.create_all(inventory.runtime.engine)
    yield inventory
    inventory.runtime.dispose()


@pytest.fixture
def client(inventory):
    return create_app(inventory).test_client()


def rows(inventory, table):
    with inventory.runtime.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar()


def test_a_receipt_adds_stock_and_answers_with_the_level(client, inventory):
    response = client.post("/api/v1/stock/receipts", json=RECEIPT)

    assert response.status_code == 201
    assert response.get_json() == {"site": "SH-01", "part_no": "PUMP-1", "on_hand": 4, "reserved": 0,
                                   "available": 4, "unit_cost": "35.50"}
    with inventory.runtime.engine.connect() as connection:
        receipt = connection.execute(select(stock_receipts)).mappings().one()
    assert (receipt["site"], receipt["part_no"], receipt["qty"], receipt["unit_cost"]) == (
        "SH-01", "PUMP-1", 4, Decimal("35.50"))


def test_receipts_keep_a_moving_average_cost_per_site_and_part(client):
    client.post("/api/v1/stock/receipts", json={**RECEIPT, "qty": 3, "unit_cost": "10.00"})
    client.post("/api/v1/stock/receipts", json={**RECEIPT, "qty": 1, "unit_cost": "14.00"})
    client.post("/api/v1/stock/receipts", json={**RECEIPT, "site": "BJ-02", "qty": 1, "unit_cost": "99.99"})

    here = client.get("/api/v1/stock?site=SH-01&part_no=PUMP-1").get_json()
    there = client.get("/api/v1/stock?site=BJ-02&part_no=PUMP-1").get_json()
    assert (here["on_hand"], here["unit_cost"]) == (4, "11.00")
    assert (there["on_hand"], there["unit_cost"]) == (1, "99.99")


def test_stock_of_a_part_reports_reserved_and_available(client, inventory):
    client.post("/api/v1/stock/receipts", json=RECEIPT)
    with inventory.uow_factory() as uow:
        level = uow.stock.levels_for_update("SH-01", ["PUMP-1"])["PUMP-1"]
        level.hold(3)
        uow.stock.save(level, utcnow())
        uow.commit()

    response = client.get("/api/v1/stock", query_string={"site": "SH-01", "part_no": "PUMP-1"})

    assert response.status_code == 200
    assert response.get_json() == {"site": "SH-01", "part_no": "PUMP-1", "on_hand": 4, "reserved": 3,
                                   "available": 1, "unit_cost": "35.50"}


def test_a_part_never_received_at_the_site_is_all_zeros(client):
    response = client.get("/api/v1/stock?site=SH-01&part_no=NOPE-0")

    assert response.status_code == 200
    assert response.get_json() == {"site": "SH-01", "part_no": "NOPE-0", "on_hand": 0, "reserved": 0,
                                   "available": 0, "unit_cost": "0.00"}


@pytest.mark.parametrize("query, field", [
    ("part_no=PUMP-1", "site"),
    ("site=SH-01", "part_no"),
    ("site=SH 01&part_no=PUMP-1", "site"),
])
def test_stock_query_without_site_or_part_is_400_naming_it(client, query, field):
    response = client.get(f"/api/v1/stock?{query}")

    assert response.status_code == 400
    assert field in response.get_json()["errors"]


def test_levels_of_a_site_list_every_part_in_order(client):
    for part_no in ("SEAL-3", "BELT-2"):
        client.post("/api/v1/stock/receipts", json={**RECEIPT, "part_no": part_no})
    client.post("/api/v1/stock/receipts", json={**RECEIPT, "site": "BJ-02"})

    response = client.get("/api/v1/stock/levels?site=SH-01")

    assert response.status_code == 200
    assert [level["part_no"] for level in response.get_json()] == ["BELT-2", "SEAL-3"]
    assert client.get("/api/v1/stock/levels?site=GZ-09").get_json() == []


def test_levels_without_a_site_is_400_naming_it(client):
    response = client.get("/api/v1/stock/levels")

    assert response.status_code == 400
    assert "site" in response.get_json()["errors"]


def _without(field):
    return {key: value for key, value in RECEIPT.items() if key != field}


@pytest.mark.parametrize("body, field", [
    (_without("site"), "site"),
    (_without("part_no"), "part_no"),
    (_without("qty"), "qty"),
    (_without("unit_cost"), "unit_cost"),
    ({**RECEIPT, "site": "SH/01"}, "site"),
    ({**RECEIPT, "part_no": ""}, "part_no"),
    ({**RECEIPT, "qty": 0}, "qty"),
    ({**RECEIPT, "qty": "4"}, "qty"),
    ({**RECEIPT, "qty": 1.5}, "qty"),
    ({**RECEIPT, "unit_cost": 35.5}, "unit_cost"),
    ({**RECEIPT, "unit_cost": "35.5"}, "unit_cost"),
    ({**RECEIPT, "unit_cost": "-1.00"}, "unit_cost"),
    ({**RECEIPT, "colour": "red"}, "colour"),
])
def test_an_invalid_receipt_is_400_naming_the_field_and_writes_nothing(client, inventory, body, field):
    response = client.post("/api/v1/stock/receipts", json=body)

    assert response.status_code == 400
    assert field in response.get_json()["errors"]
    assert rows(inventory, stock_levels) == 0 and rows(inventory, stock_receipts) == 0


@pytest.mark.parametrize("data, content_type", [
    ("site=SH-01&qty=1", "application/x-www-form-urlencoded"),
    ('{"site": "SH-01",', "application/json"),
    ("[1, 2]", "application/json"),
])
def test_a_receipt_that_is_not_a_json_object_is_400_and_writes_nothing(client, inventory, data, content_type):
    response = client.post("/api/v1/stock/receipts", data=data, content_type=content_type)

    assert response.status_code == 400
    assert response.get_json()["errors"]
    assert rows(inventory, stock_levels) == 0 and rows(inventory, stock_receipts) == 0


def test_the_api_is_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/stock", "/api/v1/stock/levels", "/api/v1/stock/receipts"} <= set(paths)
    assert client.get("/healthz").status_code == 200
