import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from billing.adapters.fee_schedule import load_default_schedule, load_schedule
from billing.domain.fees import FeeSchedule, NoLabourRate, UnpricedPart
from billing.domain.settlement import CompletedJob, SettlementLine, price_repair

POSTED_AT = datetime(2024, 5, 2, 9, 0, tzinfo=timezone.utc)
CHINA = timezone(timedelta(hours=8))


def schedule_data(**overrides):
    data = {
        "currency": "CNY",
        "hourly_rate": "120.00",
        "minimum_call_out": "80.00",
        "warranty_labour": {
            "washing_machine": {"onsite": "60.00", "depot": "45.00"},
            "default": {"onsite": "55.00", "depot": "40.00"},
        },
        "parts": {
            "PCB-100": {"description": "Main control board", "cost": "180.00", "list_price": "260.00"},
            "SEAL-300": {"cost": "35.00", "list_price": "58.00"},
            "FLT-400": {"cost": "12.50", "list_price": "25.00"},
        },
    }
    data.update(overrides)
    return data


def make_schedule(**overrides):
    return FeeSchedule.from_mapping(schedule_data(**overrides))


def make_job(**overrides):
    fields = dict(
        ticket_id="T-1",
        work_order_id="WO-1",
        payee="SH-01",
        category="washing_machine",
        service_type="onsite",
        warranty_status="in_warranty",
        labour_minutes=90,
        parts_used=[("PCB-100", 1), ("FLT-400", 2)],
        completed_at=datetime(2024, 4, 15, 14, 30, tzinfo=timezone.utc),
    )
    fields.update(overrides)
    return CompletedJob(**fields)


def price(job, schedule=None):
    return price_repair(job, schedule or make_schedule(), "S-1", POSTED_AT)


def test_in_warranty_manufacturer_pays_labour_fee_and_parts_at_cost():
    settlement = price(make_job())

    assert [(l.kind, l.part_no, l.qty, l.unit_amount, l.amount, l.payer) for l in settlement.lines] == [
        ("labour", None, Decimal(1), Decimal("60.00"), Decimal("60.00"), "manufacturer"),
        ("part", "PCB-100", Decimal(1), Decimal("180.00"), Decimal("180.00"), "manufacturer"),
        ("part", "FLT-400", Decimal(2), Decimal("12.50"), Decimal("25.00"), "manufacturer"),
    ]
    assert settlement.lines[1].description == "Main control board"
    assert settlement.lines[2].description == "FLT-400"
    assert settlement.manufacturer_total == Decimal("265.00")
    assert str(settlement.customer_total) == "0.00"
    assert settlement.totals == {"customer": Decimal("0.00"), "manufacturer": Decimal("265.00")}


def test_in_warranty_labour_fee_depends_on_service_type_not_minutes():
    settlement = price(make_job(service_type="depot", labour_minutes=600, parts_used=[]))

    assert [(l.kind, l.amount) for l in settlement.lines] == [("labour", Decimal("45.00"))]
    assert settlement.manufacturer_total == Decimal("45.00")


def test_settlement_carries_job_identity_and_schedule_currency():
    settlement = price(make_job(), make_schedule(currency="EUR"))

    assert (settlement.settlement_id, settlement.ticket_id, settlement.work_order_id) == ("S-1", "T-1", "WO-1")
    assert (settlement.payee, settlement.warranty_status) == ("SH-01", "in_warranty")
    assert settlement.currency == "EUR"
    assert settlement.posted_at == POSTED_AT


def test_out_of_warranty_customer_pays_hourly_labour_and_parts_at_list_price():
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=90))

    labour, board, filters = settlement.lines
    assert (labour.kind, labour.qty, labour.unit_amount, labour.amount, labour.payer) == (
        "labour", Decimal("1.5"), Decimal("120.00"), Decimal("180.00"), "customer",
    )
    assert (board.unit_amount, board.amount, board.payer) == (Decimal("260.00"), Decimal("260.00"), "customer")
    assert (filters.qty, filters.unit_amount, filters.amount) == (Decimal(2), Decimal("25.00"), Decimal("50.00"))
    assert settlement.customer_total == Decimal("490.00")
    assert str(settlement.manufacturer_total) == "0.00"


def test_out_of_warranty_labour_below_minimum_is_charged_the_minimum_call_out():
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=30, parts_used=[]))

    (labour,) = settlement.lines
    assert (labour.kind, labour.qty, labour.unit_amount, labour.amount, labour.payer) == (
        "labour", Decimal(1), Decimal("80.00"), Decimal("80.00"), "customer",
    )
    assert "Minimum call-out" in labour.description
    assert settlement.customer_total == Decimal("80.00")


def test_out_of_warranty_labour_exactly_at_minimum_is_billed_by_the_hour():
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=40, parts_used=[]))

    (labour,) = settlement.lines
    assert labour.amount == Decimal("80.00")
    assert labour.unit_amount == Decimal("120.00")


def test_zero_labour_minutes_out_of_warranty_still_pays_the_minimum():
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=0, parts_used=[]))

    assert settlement.customer_total == Decimal("80.00")


def test_hourly_labour_rounds_half_up_to_the_cent():
    # 30 min at 125.25/h is 62.625: half-up gives 62.63 where banker's rounding would give 62.62.
    schedule = make_schedule(hourly_rate="125.25", minimum_call_out="50.00")
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=30, parts_used=[]), schedule)

    (labour,) = settlement.lines
    assert labour.qty == Decimal("0.5")
    assert str(labour.amount) == "62.63"


def test_hours_in_qty_are_rounded_but_amount_comes_from_exact_minutes():
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=50, parts_used=[]))

    (labour,) = settlement.lines
    assert labour.qty == Decimal("0.8333")
    assert labour.amount == Decimal("100.00")


def test_every_money_value_has_exactly_two_places():
    settlement = price(make_job(warranty_status="out_of_warranty", labour_minutes=6000))

    money = [v for l in settlement.lines for v in (l.unit_amount, l.amount)]
    money += [settlement.customer_total, settlement.manufacturer_total]
    assert all(v.as_tuple().exponent == -2 for v in money), money
    assert str(settlement.lines[0].qty) == "100"


def test_unknown_category_falls_back_to_default_labour_fee():
    settlement = price(make_job(category="dishwasher", service_type="depot", parts_used=[]))

    assert settlement.lines[0].amount == Decimal("40.00")
    assert "dishwasher" in settlement.lines[0].description


def test_unknown_category_without_default_entry_raises_no_labour_rate():
    schedule = make_schedule(warranty_labour={"washing_machine": {"onsite": "60.00"}})

    with pytest.raises(NoLabourRate) as raised:
        price(make_job(category="dishwasher"), schedule)

    assert (raised.value.category, raised.value.service_type) == ("dishwasher", "onsite")
    assert "dishwasher" in str(raised.value) and "onsite" in str(raised.value)


def test_listed_category_missing_the_service_type_raises_instead_of_using_default():
    with pytest.raises(NoLabourRate) as raised:
        price(make_job(service_type="install"))

    assert (raised.value.category, raised.value.service_type) == ("washing_machine", "install")


@pytest.mark.parametrize("warranty_status", ["in_warranty", "out_of_warranty"])
def test_part_without_price_raises_unpriced_part(warranty_status):
    job = make_job(warranty_status=warranty_status, parts_used=[("PCB-100", 1), ("XYZ-999", 1)])

    with pytest.raises(UnpricedPart) as raised:
        price(job)

    assert raised.value.part_no == "XYZ-999"
    assert "XYZ-999" in str(raised.value)


@pytest.mark.parametrize(
    "completed_at, period",
    [
        (datetime(2024, 4, 15, 14, 30, tzinfo=timezone.utc), "2024-04"),
        # 1 May 07:00 in Shanghai is still 30 April in UTC.
        (datetime(2024, 5, 1, 7, 0, tzinfo=CHINA), "2024-04"),
        (datetime(2024, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))), "2025-01"),
    ],
)
def test_period_is_the_utc_month_of_completion(completed_at, period):
    assert price(make_job(completed_at=completed_at)).period == period


def test_job_with_naive_completion_time_is_rejected():
    with pytest.raises(ValueError, match="completed_at"):
        make_job(completed_at=datetime(2024, 4, 15, 14, 30))


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"service_type": "by_drone"}, "service_type"),
        ({"warranty_status": "extended"}, "warranty_status"),
        ({"labour_minutes": -1}, "labour_minutes"),
        ({"labour_minutes": 1.5}, "labour_minutes"),
        ({"parts_used": [("PCB-100", 0)]}, "PCB-100"),
    ],
)
def test_invalid_job_is_rejected(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_job(**overrides)


def test_settlement_line_rejects_unknown_kind_and_payer():
    line = dict(kind="labour", description="x", part_no=None, qty=Decimal(1),
                unit_amount=Decimal("1.00"), amount=Decimal("1.00"), payer="customer")
    SettlementLine(**line)
    with pytest.raises(ValueError, match="kind"):
        SettlementLine(**{**line, "kind": "tip"})
    with pytest.raises(ValueError, match="payer"):
        SettlementLine(**{**line, "payer": "dealer"})


def test_schedule_converts_money_strings_to_decimal():
    schedule = make_schedule()

    assert schedule.hourly_rate == Decimal("120.00") and isinstance(schedule.hourly_rate, Decimal)
    assert schedule.warranty_labour["washing_machine"]["onsite"] == Decimal("60.00")
    assert schedule.parts["FLT-400"].cost == Decimal("12.50")
    assert schedule.parts["FLT-400"].list_price == Decimal("25.00")


@pytest.mark.parametrize(
    "overrides, bad_key",
    [
        ({"currency": "yuan"}, "currency"),
        ({"hourly_rate": 120.5}, "hourly_rate"),
        ({"hourly_rate": "abc"}, "hourly_rate"),
        ({"minimum_call_out": "-1.00"}, "minimum_call_out"),
        ({"minimum_call_out": "80.005"}, "minimum_call_out"),
        ({"warranty_labour": {"tv": {"onsite": "1.00", "teleport": "2.00"}}}, "warranty_labour.tv.teleport"),
        ({"warranty_labour": {"tv": {"onsite": 0.1}}}, "warranty_labour.tv.onsite"),
        ({"parts": {"PCB-100": {"cost": "1.00"}}}, "parts.PCB-100.list_price"),
        ({"parts": {"PCB-100": {"cost": "x", "list_price": "2.00"}}}, "parts.PCB-100.cost"),
        ({"minimum_callout": "80.00"}, "minimum_callout"),
    ],
)
def test_schedule_validation_names_the_bad_key(overrides, bad_key):
    with pytest.raises(ValueError) as raised:
        make_schedule(**overrides)

    assert str(raised.value).startswith(bad_key + ":")


def test_schedule_missing_a_key_is_rejected():
    data = schedule_data()
    del data["hourly_rate"]

    with pytest.raises(ValueError, match="^hourly_rate: missing"):
        FeeSchedule.from_mapping(data)


def test_default_schedule_prices_the_platform_parts_in_cny():
    schedule = load_default_schedule()

    assert schedule.currency == "CNY"
    assert schedule.minimum_call_out == Decimal("80.00")
    for part_no in ("PCB-100", "MTR-200", "SEAL-300", "FLT-400"):
        part = schedule.part_price(part_no)
        assert Decimal("0.00") < part.cost < part.list_price
    for category in ("washing_machine", "refrigerator", "air_conditioner", "television", "default"):
        for service_type in ("onsite", "depot", "mail_in", "install"):
            assert schedule.labour_fee(category, service_type) > Decimal("0.00")


def test_override_schedule_file_is_loaded_and_errors_name_the_file(tmp_path):
    good = tmp_path / "fees.json"
    good.write_text(json.dumps(schedule_data(currency="USD")), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(schedule_data(hourly_rate=120.5)), encoding="utf-8")

    assert load_schedule(good).currency == "USD"
    assert load_schedule(good).hourly_rate == Decimal("120.00")
    with pytest.raises(ValueError, match="bad.json: hourly_rate"):
        load_schedule(str(bad))
