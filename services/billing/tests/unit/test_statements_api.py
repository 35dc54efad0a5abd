"""The clerk's endpoints and command line, on billing's real tables (SQLite)."""
import io
import json
from datetime import datetime, timezone

import pytest

from aftersales_shared.testing import database

from billing.adapters.tables import metadata
from billing.bootstrap import bootstrap
from billing.config import Settings
from billing.entrypoints.cli import clerk_main
from billing.entrypoints.flask_app import create_app
from billing_events import callback_completed, catalogue_events

NOV = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)


class Clock:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'billing.db'}"


@pytest.fixture
def billing(url, clock, repair_completed):
    container = bootstrap(Settings(database_url=url), clock=clock)
    metadata.create_all(container.runtime.engine)
    bus = container.runtime.bus
    for event in catalogue_events():
        bus.handle(event)
    bus.handle(repair_completed(ticket_id="T-1", work_order_id="WO-1", completed_at=NOV))  # 265.00 warranty
    bus.handle(repair_completed(ticket_id="T-3", work_order_id="WO-3", completed_at=NOV,
                                warranty_status="out_of_warranty", labour_minutes=50))  # 410.00 customer
    bus.handle(callback_completed("T-1"))  # -30.00
    yield container
    container.runtime.dispose()


@pytest.fixture
def client(billing):
    return create_app(billing).test_client()


def test_statement_json_csv_and_pdf(client):
    body = client.get("/api/v1/statements/SH-01/2026-11").get_json()
    assert (body["warranty_total"], body["penalties_total"], body["net_payable"]) == ("265.00", "-30.00", "235.00")
    assert client.get("/api/v1/statements?period=2026-11").get_json() == [body]

    csv_response = client.get("/api/v1/statements/SH-01/2026-11.csv")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert "net,net payable,,235.00" in csv_response.get_data(as_text=True)

    pdf = client.get("/api/v1/statements/SH-01/2026-11.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")


@pytest.mark.parametrize("path, field", [
    ("/api/v1/statements/SH-01/2026-13", "period"),
    ("/api/v1/statements/SH 01/2026-11", "payee"),
    ("/api/v1/statements?period=november", "period"),
    ("/api/v1/statistics", "period"),
    ("/api/v1/late-documents?as_of=soon", "as_of"),
])
def test_bad_input_is_a_400_naming_the_field(client, path, field):
    response = client.get(path)

    assert response.status_code in (400, 422)
    assert field in response.get_json()["errors"]


def test_closing_over_http_freezes_the_period_once(billing, client, clock):
    assert client.post("/api/v1/periods/2026-11/close").status_code == 409  # November is not over
    clock.now = datetime(2026, 12, 2, tzinfo=timezone.utc)

    response = client.post("/api/v1/periods/2026-11/close")

    assert response.status_code == 200
    assert [s["status"] for s in response.get_json()] == ["issued"]
    again = client.post("/api/v1/periods/2026-11/close")
    assert again.status_code == 409 and "closed already" in again.get_json()["errors"]["period"][0]
    assert client.get("/api/v1/statements/SH-01/2026-11").get_json()["status"] == "issued"
    assert database.row_counts(billing.runtime.engine, metadata)["statements"] == 1


def test_statistics_late_documents_flags_and_invoice(client, clock):
    (row,) = client.get("/api/v1/statistics?period=2026-11").get_json()
    assert (row["site"], row["jobs"], row["fees"], row["customer_charges"]) == ("SH-01", 2, "265.00", "410.00")
    assert client.get("/api/v1/late-documents?as_of=2026-12-13").get_json() == [
        {"period": "2026-11", "document": "statements", "due": "2026-12-08", "issued_on": None, "days_late": 5},
        {"period": "2026-11", "document": "statistics", "due": "2026-12-12", "issued_on": None, "days_late": 1},
    ]
    (flag,) = client.get("/api/v1/compliance-flags?ticket_id=T-1").get_json()
    assert flag["kind"] == "failed_callback" and flag["penalty_settlement_id"]

    (paid,) = client.get("/api/v1/settlements?ticket_id=T-3").get_json()
    invoice = client.get(f"/api/v1/settlements/{paid['settlement_id']}/invoice").get_json()
    assert invoice["total"] == "410.00"
    assert client.get(f"/api/v1/settlements/{paid['settlement_id']}/invoice.pdf").data.startswith(b"%PDF-")
    (warranty,) = [s for s in client.get("/api/v1/settlements?ticket_id=T-1").get_json()
                   if s["lines"][0]["kind"] == "labour"]
    assert client.get(f"/api/v1/settlements/{warranty['settlement_id']}/invoice").status_code == 404


def test_the_clerk_command_line(billing, url, clock, tmp_path):
    def run(*argv):
        out = io.StringIO()
        code = clerk_main(list(argv), bootstrap(Settings(database_url=url), clock=clock), out)
        return code, out.getvalue()

    code, text = run("statement", "--payee", "SH-01", "--period", "2026-11")
    assert code == 0 and json.loads(text)["net_payable"] == "235.00"
    code, _ = run("deposit", "--payee", "SH-01", "--amount", "35.00", "--description", "Board deposit")
    assert code == 0
    code, text = run("statement", "--payee", "SH-01", "--period", "2026-11", "--format", "csv")
    assert "net,net payable,,200.00" in text
    pdf = tmp_path / "statement.pdf"
    assert run("statement", "--payee", "SH-01", "--period", "2026-11", "--format", "pdf", "--output", str(pdf))[0] == 0
    assert pdf.read_bytes().startswith(b"%PDF-")

    assert run("close-period", "2026-11")[0] == 1  # not over yet
    clock.now = datetime(2026, 12, 9, tzinfo=timezone.utc)
    code, text = run("close-period", "2026-11")
    assert code == 0 and json.loads(text) == {"period": "2026-11", "statements": ["SH-01"]}
    code, text = run("late", "--as-of", "2026-12-20")
    assert [(d["document"], d["days_late"]) for d in json.loads(text)] == [("statements", 1), ("statistics", 8)]
    code, text = run("statistics", "2026-11", "--issue", "--format", "csv")
    assert code == 0 and text.startswith("period,site,category,jobs")


def test_a_deposit_is_recorded_once_per_idempotency_key_and_reconciled_on_the_statement(billing, client):
    body = {"payee": "SH-01", "amount": "35.00", "description": "Deposit on 1 board"}

    first = client.post("/api/v1/deposits", json=body, headers={"Idempotency-Key": "dep-1"})
    again = client.post("/api/v1/deposits", json=body, headers={"Idempotency-Key": "dep-1"})
    other = client.post("/api/v1/deposits", json={**body, "amount": "36.00"}, headers={"Idempotency-Key": "dep-1"})

    assert first.status_code == 201 and first.get_json()["period"] == "2026-11"
    assert (again.status_code, again.get_json(), again.headers["Idempotent-Replayed"]) == (201, first.get_json(), "true")
    assert other.status_code == 409
    assert database.row_counts(billing.runtime.engine, metadata)["deposits"] == 1
    statement = client.get("/api/v1/statements/SH-01/2026-11").get_json()
    assert (statement["deposits_total"], statement["net_payable"]) == ("35.00", "200.00")  # 265.00 - 30.00 - 35.00
    bad = client.post("/api/v1/deposits", json={**body, "amount": 35})
    assert bad.status_code in (400, 422) and "amount" in bad.get_json()["errors"]
