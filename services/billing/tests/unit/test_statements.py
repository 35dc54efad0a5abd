"""The clerk's month: statements per payee, closing a period, late events, statistics, due dates, exports."""
import csv
import io
from datetime import date, datetime, timezone
from decimal import Decimal

import pypdfium2
import pytest

from aftersales_shared.bus import EventBus
from aftersales_shared.testing.fakes import InMemoryStore

from billing.adapters.documents import invoice_pdf, statement_csv, statement_pdf
from billing.adapters.fee_schedule import load_default_schedule
from billing.bootstrap import event_writer
from billing.domain.statements import invoice
from billing.entrypoints.events import INCOMING_SCHEMAS
from billing.service_layer import statements as clerk
from billing.service_layer.handlers import Rules, event_handlers
from billing_events import callback_completed, catalogue_events
from fakes import FakeUnitOfWork

NOV = datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc)
LATE_NOV = datetime(2026, 11, 29, 18, 0, tzinfo=timezone.utc)
DEC = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def world():
    clock = Clock(datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc))
    uow = FakeUnitOfWork(InMemoryStore())
    rules = Rules(schedules=load_default_schedule(), clock=clock)
    bus = EventBus(uow, event_handlers(rules, event_writer()), INCOMING_SCHEMAS)
    for event in catalogue_events():
        bus.handle(event)
    return bus, uow, rules, clock


def read(uow, rules, payee="SH-01", period="2026-11"):
    with uow:
        return clerk.statement_of(uow, rules, payee, period)


def november(bus, repair_completed):
    """Three SH-01 jobs and one GZ-02 job in November 2026, every figure worked out below."""
    # Warranty on site: 60.00 labour + 180.00 + 2 x 12.50 = 265.00 paid by the manufacturer.
    bus.handle(repair_completed(ticket_id="T-1", work_order_id="WO-1", completed_at=NOV))
    # Warranty at the depot, no parts: 45.00.
    bus.handle(repair_completed(ticket_id="T-2", work_order_id="WO-2", completed_at=NOV, service_type="depot",
                                parts_used=[]))
    # Out of warranty on site, 50 min: 100.00 labour + 260.00 + 2 x 25.00 = 410.00 from the customer.
    bus.handle(repair_completed(ticket_id="T-3", work_order_id="WO-3", completed_at=NOV,
                                warranty_status="out_of_warranty", labour_minutes=50))
    # Another service point: warranty mail-in, no parts, 40.00.
    bus.handle(repair_completed(ticket_id="T-4", work_order_id="WO-4", completed_at=NOV, site="GZ-02",
                                region="south", service_type="mail_in", parts_used=[]))


def test_a_statement_sums_fees_by_service_type_charges_and_penalties(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    bus.handle(callback_completed("T-2"))  # failed callback: 30.00 penalty in the packaged rules

    body = read(uow, rules)

    assert body["fee_summary"] == [
        # T-1 and T-3 (the customer's job: 0.00 from the manufacturer)
        {"service_type": "onsite", "jobs": 2, "labour": "60.00", "parts": "205.00", "amount": "265.00"},
        {"service_type": "depot", "jobs": 1, "labour": "45.00", "parts": "0.00", "amount": "45.00"},
    ]
    assert body["warranty_total"] == "310.00"
    assert body["out_of_warranty"] == {"jobs": 1, "amount": "410.00"}
    assert body["penalties_total"] == "-30.00" and body["penalties"][0]["ticket_id"] == "T-2"
    assert body["net_payable"] == "280.00"  # 310.00 - 30.00
    assert (body["status"], body["issued_at"]) == ("open", None)
    assert read(uow, rules, payee="GZ-02")["net_payable"] == "40.00"


def test_deposits_are_deducted_from_what_is_payable(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    with uow:
        clerk.record_deposit(uow, rules, "SH-01", Decimal("100.00"), "Parts deposit, 4 boards")

    body = read(uow, rules)
    assert body["deposits"] == [{"description": "Parts deposit, 4 boards", "amount": "100.00"}]
    assert body["net_payable"] == "210.00"  # 310.00 - 100.00


def test_closing_a_period_freezes_it_and_a_late_job_lands_in_the_next_one(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
    with uow:
        issued = clerk.close_period(uow, rules, "2026-11")
    assert [s["payee"] for s in issued] == ["GZ-02", "SH-01"]

    # Reported late: completed on 29 November, arriving after the close.
    bus.handle(repair_completed(ticket_id="T-5", work_order_id="WO-5", completed_at=LATE_NOV, service_type="install",
                                parts_used=[]))

    frozen = read(uow, rules)
    assert frozen == issued[1]
    assert (frozen["status"], frozen["net_payable"]) == ("issued", "310.00")
    december = read(uow, rules, period="2026-12")
    assert december["fee_summary"] == [
        {"service_type": "install", "jobs": 1, "labour": "50.00", "parts": "0.00", "amount": "50.00"}]
    assert december["late_adjustments"] == {"jobs": 1, "amount": "50.00", "tickets": ["T-5"]}
    with uow, pytest.raises(clerk.PeriodClosed):
        clerk.close_period(uow, rules, "2026-11")
    nothing = read(uow, rules, payee="XX-9")
    assert (nothing["status"], nothing["net_payable"]) == ("issued", "0.00")


def test_a_month_cannot_be_closed_before_it_ends(world):
    bus, uow, rules, clock = world
    with uow, pytest.raises(clerk.PeriodNotOver):
        clerk.close_period(uow, rules, "2026-11")


def test_a_repeat_repair_claws_back_on_the_next_statement(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    clock.now = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
    with uow:
        clerk.close_period(uow, rules, "2026-11")

    bus.handle(repair_completed(ticket_id="T-9", work_order_id="WO-9", completed_at=DEC, repeat_of="T-1",
                                parts_used=[]))

    december = read(uow, rules, period="2026-12")
    assert december["penalties"] == [{
        "ticket_id": "T-1", "amount": "-60.00",
        "description": "Clawback of the labour fee of ticket T-1: repeat repair T-9"}]
    # The repeat earns its own fee (60.00); the first job's 60.00 goes back.
    assert (december["warranty_total"], december["net_payable"]) == ("60.00", "0.00")
    assert read(uow, rules)["penalties"] == []


def test_statistics_per_site_and_category_with_repair_ratios(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    bus.handle(repair_completed(ticket_id="T-6", work_order_id="WO-6", completed_at=NOV, outcome="unrepairable",
                                parts_used=[], repeat_of="T-1"))

    with uow:
        rows = clerk.statistics_of(uow, "2026-11")

    assert [(r["site"], r["category"], r["jobs"]) for r in rows] == [
        ("GZ-02", "washing_machine", 1), ("SH-01", "washing_machine", 4)]
    sh = rows[1]
    assert (sh["warranty_jobs"], sh["out_of_warranty_jobs"], sh["repaired"], sh["repeat_repairs"]) == (3, 1, 3, 1)
    assert (sh["repair_ratio"], sh["repeat_ratio"]) == ("0.7500", "0.2500")
    assert (sh["fees"], sh["customer_charges"]) == ("370.00", "410.00")  # 265 + 45 + 60; T-3


def test_late_documents_are_listed_against_their_due_dates(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)

    with uow:
        assert clerk.late_list(uow, date(2026, 12, 8)) == []
        assert clerk.late_list(uow, date(2026, 12, 9)) == [
            {"period": "2026-11", "document": "statements", "due": "2026-12-08", "issued_on": None, "days_late": 1}]
    clock.now = datetime(2026, 12, 10, 9, 0, tzinfo=timezone.utc)
    with uow:
        clerk.close_period(uow, rules, "2026-11")
    with uow:
        clerk.issue_statistics(uow, rules, "2026-11")
    with uow:
        late = clerk.late_list(uow, date(2026, 12, 20))
    assert late == [
        {"period": "2026-11", "document": "statements", "due": "2026-12-08", "issued_on": "2026-12-10", "days_late": 2}]


def test_the_statement_exports_as_csv_with_every_figure(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)

    rows = list(csv.reader(io.StringIO(statement_csv(read(uow, rules)))))

    assert rows[0] == ["payee", "SH-01", "period", "2026-11", "currency", "CNY", "status", "open"]
    assert ["fees", "onsite (labour 60.00, parts 205.00)", "2", "265.00"] in rows
    assert ["out_of_warranty", "charges collected from customers", "1", "410.00"] in rows
    assert rows[-1] == ["net", "net payable", "", "310.00"]


def render_first_page(pdf: bytes):
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 1
    return document[0].render(scale=1).to_pil().convert("L")


def test_a_statement_pdf_renders_to_a_page_that_is_not_blank(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    bus.handle(callback_completed("T-2"))

    pdf = statement_pdf(read(uow, rules))

    assert pdf.startswith(b"%PDF-")
    image = render_first_page(pdf)
    histogram = image.histogram()
    dark = sum(histogram[:128])
    # Text and table lines: a real share of the page is ink, yet most of it is paper.
    assert 0.005 < dark / (image.width * image.height) < 0.5
    assert statement_pdf(read(uow, rules)) == pdf  # same statement, same bytes


def test_the_customer_invoice_lists_what_the_customer_pays(world, repair_completed):
    bus, uow, rules, clock = world
    november(bus, repair_completed)
    (settlement,) = uow.settlements.for_ticket("T-3")

    body = invoice(settlement)

    assert [(l["description"], l["qty"], l["amount"]) for l in body["lines"]] == [
        ("Labour 50 min at 120.00/h", "0.8333", "100.00"), ("Main control board", "1", "260.00"),
        ("Water filter cartridge", "2", "50.00")]
    assert body["total"] == "410.00"
    image = render_first_page(invoice_pdf(body))
    assert sum(image.histogram()[:128]) > 0.005 * image.width * image.height
