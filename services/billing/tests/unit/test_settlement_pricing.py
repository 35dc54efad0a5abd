"""Pricing rules with every number worked out by hand in the comments."""
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from billing.adapters.fee_schedule import load_default_schedule, load_schedule
from billing.domain.catalogue import PartPrice, price_in_force
from billing.domain.fees import FeeSchedules, NoLabourRate, NoScheduleInForce
from billing.domain.settlement import (
    CompletedJob, MissingPrices, SettlementLine, missing_prices, price_repair,
)

POSTED_AT = datetime(2024, 5, 2, 9, 0, tzinfo=timezone.utc)
CHINA = timezone(timedelta(hours=8))
SINCE = datetime(2020, 1, 1, tzinfo=timezone.utc)


def version_data(**overrides):
    data = {
        "version": 1,
        "effective_from": "2020-01-01T00:00:00Z",
        "hourly_rate": "120.00",
        "minimum_call_out": "80.00",
        "inspection_fee": "50.00",
        "shipping": "30.00",
        "insurance": "10.00",
        "travel_bands": [{"up_to_km": "10", "fee": "0.00"}, {"up_to_km": "30", "fee": "20.00"},
                         {"up_to_km": None, "fee": "45.00"}],
        "warranty_labour": {
            "washing_machine": {"onsite": "60.00", "depot": "45.00", "mail_in": "40.00", "install": "50.00"},
            "default": {"onsite": "55.00", "depot": "40.00"},
        },
    }
    data.update(overrides)
    return data


def make_schedules(*versions, currency="CNY"):
    return FeeSchedules.from_mapping({"currency": currency, "versions": list(versions) or [version_data()]})


def part(part_no, cost, list_price, revision=1, effective_at=SINCE, description=""):
    return PartPrice(part_no=part_no, unit_cost=Decimal(cost), list_price=None if list_price is None else Decimal(list_price),
                     revision=revision, effective_at=effective_at, description=description)


PRICES = {
    "PCB-100": part("PCB-100", "180.00", "260.00", description="Main control board"),
    "FLT-400": part("FLT-400", "12.50", "25.00"),
}


def make_job(**overrides):
    fields = dict(
        ticket_id="T-1", work_order_id="WO-1", payee="SH-01", category="washing_machine", service_type="onsite",
        warranty_status="in_warranty", labour_minutes=90, parts_used=[("PCB-100", 1), ("FLT-400", 2)],
        completed_at=datetime(2024, 4, 15, 14, 30, tzinfo=timezone.utc),
    )
    fields.update(overrides)
    return CompletedJob(**fields)


def price(job, schedules=None, prices=PRICES):
    schedules = schedules or make_schedules()
    return price_repair(job, schedules.in_force(job.completed_at), prices, "S-1", POSTED_AT)


def summary(settlement):
    return [(l.kind, str(l.qty), str(l.amount), l.payer) for l in settlement.lines]


def assert_adds_up(settlement):
    for payer, total in settlement.totals.items():
        assert total == sum((l.amount for l in settlement.lines if l.payer == payer), Decimal("0.00"))


# Warranty: the manufacturer pays the labour fee of the category and service type, and parts at cost
# (PCB-100 1 x 180.00 + FLT-400 2 x 12.50 = 205.00); minutes do not matter.
@pytest.mark.parametrize("service_type, fee, total", [
    ("onsite", "60.00", "265.00"),   # 60.00 + 205.00
    ("depot", "45.00", "250.00"),    # 45.00 + 205.00
    ("mail_in", "40.00", "245.00"),  # 40.00 + 205.00, no shipping charged to anyone
    ("install", "50.00", "255.00"),  # 50.00 + 205.00
])
def test_warranty_work_for_every_service_type(service_type, fee, total):
    settlement = price(make_job(service_type=service_type, travel_km=Decimal("45")))

    assert summary(settlement) == [
        ("labour", "1", fee, "manufacturer"),
        ("part", "1", "180.00", "manufacturer"),
        ("part", "2", "25.00", "manufacturer"),
    ]
    assert str(settlement.manufacturer_total) == total and settlement.customer_total == Decimal("0.00")
    assert_adds_up(settlement)


# Out of warranty: the customer pays labour at 120.00/h (a visit at least the 80.00 call-out), the travel
# band of a visit, shipping 30.00 and insurance 10.00 of a mail-in, and parts at list price
# (PCB-100 260.00 + FLT-400 2 x 25.00 = 310.00).
@pytest.mark.parametrize("changes, lines, total", [
    # 90 min = 1.5 h x 120.00 = 180.00; 23 km is in the 10-30 km band: 20.00; 180 + 20 + 310 = 510.00
    ({"service_type": "onsite", "travel_km": Decimal("23")},
     [("labour", "1.5", "180.00"), ("travel", "1", "20.00")], "510.00"),
    # 20 min = 40.00 < 80.00 minimum call-out; 5 km is in the first band: 0.00; 80 + 0 + 310 = 390.00
    ({"service_type": "onsite", "labour_minutes": 20, "travel_km": Decimal("5")},
     [("labour", "1", "80.00"), ("travel", "1", "0.00")], "390.00"),
    # At the depot no call-out minimum: 20 min = 40.00; 40 + 310 = 350.00
    ({"service_type": "depot", "labour_minutes": 20},
     [("labour", "0.3333", "40.00")], "350.00"),
    # Mail-in 45 min = 90.00, shipping 30.00, insurance 10.00; 90 + 30 + 10 + 310 = 440.00
    ({"service_type": "mail_in", "labour_minutes": 45},
     [("labour", "0.75", "90.00"), ("shipping", "1", "30.00"), ("shipping", "1", "10.00")], "440.00"),
    # Install 75 min = 150.00, 40 km beyond the last band limit: 45.00, no parts; 150 + 45 = 195.00
    ({"service_type": "install", "labour_minutes": 75, "travel_km": Decimal("40"), "parts_used": []},
     [("labour", "1.25", "150.00"), ("travel", "1", "45.00")], "195.00"),
])
def test_out_of_warranty_work_for_every_service_type(changes, lines, total):
    settlement = price(make_job(warranty_status="out_of_warranty", **changes))

    parts = [] if changes.get("parts_used") == [] else [("part", "1", "260.00"), ("part", "2", "50.00")]
    assert [(k, q, a) for k, q, a, _ in summary(settlement)] == lines + parts
    assert {payer for *_, payer in summary(settlement)} == {"customer"}
    assert str(settlement.customer_total) == total and settlement.manufacturer_total == Decimal("0.00")
    assert_adds_up(settlement)


@pytest.mark.parametrize("changes, lines, total", [
    # Mail-in, unrepairable: inspection 50.00 instead of labour, shipping 30.00 and insurance 10.00 still charged
    ({"service_type": "mail_in"}, [("inspection", "50.00"), ("shipping", "30.00"), ("shipping", "10.00")], "90.00"),
    # On site, unrepairable, 12 km: inspection 50.00 + travel 20.00
    ({"service_type": "onsite", "travel_km": Decimal("12")}, [("inspection", "50.00"), ("travel", "20.00")], "70.00"),
    # At the depot: the inspection only
    ({"service_type": "depot"}, [("inspection", "50.00")], "50.00"),
])
def test_an_unrepairable_unit_out_of_warranty_pays_inspection_and_transport(changes, lines, total):
    settlement = price(make_job(warranty_status="out_of_warranty", outcome="unrepairable", labour_minutes=30,
                                parts_used=[], **changes))

    assert [(l.kind, str(l.amount)) for l in settlement.lines] == lines
    assert str(settlement.customer_total) == total


def test_an_unrepairable_unit_in_warranty_still_earns_the_labour_fee():
    settlement = price(make_job(outcome="unrepairable", parts_used=[]))

    assert summary(settlement) == [("labour", "1", "60.00", "manufacturer")]


def test_hourly_labour_rounds_half_up_to_the_cent():
    # 1 min at 0.30/h = 0.005: half-up gives 0.01 (bankers' rounding would give 0.00).
    schedules = make_schedules(version_data(hourly_rate="0.30", minimum_call_out="0.00"))
    settlement = price(make_job(warranty_status="out_of_warranty", service_type="depot", labour_minutes=1,
                                parts_used=[]), schedules)

    assert summary(settlement) == [("labour", "0.0167", "0.01", "customer")]
    # 7 min at 125.25/h = 14.6125 -> 14.61
    schedules = make_schedules(version_data(hourly_rate="125.25"))
    settlement = price(make_job(warranty_status="out_of_warranty", service_type="depot", labour_minutes=7,
                                parts_used=[]), schedules)
    assert str(settlement.lines[0].amount) == "14.61"


def test_many_small_lines_never_drift_from_the_total():
    prices = {f"P-{n}": part(f"P-{n}", "0.33", f"0.{n % 10}7") for n in range(200)}
    job = make_job(warranty_status="out_of_warranty", service_type="depot", labour_minutes=7,
                   parts_used=[(f"P-{n}", n % 7 + 1) for n in range(200)])

    settlement = price(job, prices=prices)

    assert_adds_up(settlement)
    on_the_wire = sum(Decimal(str(line.amount)) for line in settlement.lines)
    assert on_the_wire == settlement.customer_total
    # Each line is exact: qty x unit price, no fraction of a cent to lose.
    assert all(l.amount == l.unit_amount * l.qty for l in settlement.lines if l.kind == "part")
    expected = Decimal("14.00") + sum(Decimal(f"0.{n % 10}7") * (n % 7 + 1) for n in range(200))
    assert settlement.customer_total == expected


def test_a_new_schedule_version_applies_only_from_its_effective_date():
    schedules = make_schedules(
        version_data(),
        version_data(version=2, effective_from="2024-05-01T00:00:00+08:00",
                     warranty_labour={"washing_machine": {"onsite": "75.00"}}),
    )
    # 2024-05-01T00:00+08:00 is 2024-04-30T16:00Z.
    before = price(make_job(completed_at=datetime(2024, 4, 30, 15, 59, 59, tzinfo=timezone.utc), parts_used=[]),
                   schedules)
    after = price(make_job(completed_at=datetime(2024, 4, 30, 16, 0, tzinfo=timezone.utc), parts_used=[]),
                  schedules)

    assert (str(before.manufacturer_total), str(after.manufacturer_total)) == ("60.00", "75.00")
    with pytest.raises(NoScheduleInForce):
        schedules.in_force(datetime(2019, 12, 31, tzinfo=timezone.utc))


def test_a_part_is_priced_with_the_revision_in_force_at_completion():
    history = [part("PCB-100", "180.00", "260.00", revision=1, effective_at=SINCE),
               part("PCB-100", "200.00", "290.00", revision=2, effective_at=datetime(2024, 5, 1, tzinfo=timezone.utc))]

    assert price_in_force(history, datetime(2024, 4, 30, tzinfo=timezone.utc)).revision == 1
    assert price_in_force(history, datetime(2024, 5, 1, tzinfo=timezone.utc)).revision == 2
    # Completed before any price was published: the first price is the only one anyone set.
    assert price_in_force(history, datetime(2019, 1, 1, tzinfo=timezone.utc)).revision == 1
    assert price_in_force([], SINCE) is None


def test_missing_prices_name_every_part_still_needed():
    job = make_job(parts_used=[("PCB-100", 1), ("XYZ-999", 1), ("ABC-1", 2)])
    no_list_price = {**PRICES, "ABC-1": part("ABC-1", "5.00", None)}

    assert missing_prices(job, no_list_price) == ["XYZ-999"]
    oow = make_job(warranty_status="out_of_warranty", parts_used=job.parts_used)
    assert missing_prices(oow, no_list_price) == ["XYZ-999", "ABC-1"]
    with pytest.raises(MissingPrices, match="XYZ-999, ABC-1"):
        price(oow, prices=no_list_price)


def test_unknown_category_falls_back_to_default_labour_fee_and_a_listed_gap_is_refused():
    assert str(price(make_job(category="dishwasher", parts_used=[])).manufacturer_total) == "55.00"
    with pytest.raises(NoLabourRate, match="dishwasher"):
        price(make_job(category="dishwasher", service_type="install", parts_used=[]))


@pytest.mark.parametrize("completed_at, period", [
    (datetime(2024, 4, 15, 14, 30, tzinfo=timezone.utc), "2024-04"),
    # 1 May 07:00 in Shanghai is still 30 April in UTC.
    (datetime(2024, 5, 1, 7, 0, tzinfo=CHINA), "2024-04"),
    (datetime(2024, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))), "2025-01"),
])
def test_period_is_the_utc_month_of_completion(completed_at, period):
    assert price(make_job(completed_at=completed_at)).period == period


@pytest.mark.parametrize("overrides, message", [
    ({"service_type": "by_drone"}, "service_type"),
    ({"warranty_status": "extended"}, "warranty_status"),
    ({"outcome": "fixed-ish"}, "outcome"),
    ({"labour_minutes": -1}, "labour_minutes"),
    ({"labour_minutes": 1.5}, "labour_minutes"),
    ({"parts_used": [("PCB-100", 0)]}, "PCB-100"),
    ({"travel_km": Decimal("-3")}, "travel_km"),
    ({"completed_at": datetime(2024, 4, 15, 14, 30)}, "completed_at"),
])
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


@pytest.mark.parametrize("overrides, bad_key", [
    ({"hourly_rate": 120.5}, "versions[0].hourly_rate"),
    ({"hourly_rate": "abc"}, "versions[0].hourly_rate"),
    ({"minimum_call_out": "-1.00"}, "versions[0].minimum_call_out"),
    ({"minimum_call_out": "80.005"}, "versions[0].minimum_call_out"),
    ({"warranty_labour": {"tv": {"onsite": "1.00", "teleport": "2.00"}}}, "versions[0].warranty_labour.tv.teleport"),
    ({"travel_bands": [{"up_to_km": "30", "fee": "1.00"}, {"up_to_km": "10", "fee": "2.00"}]},
     "versions[0].travel_bands[1].up_to_km"),
    ({"penalties": {"missing_signature": "x"}}, "versions[0].penalties.missing_signature"),
    ({"penalties": {"repeat_clawback": "yes"}}, "versions[0].penalties.repeat_clawback"),
    ({"effective_from": "2024-01-01T00:00:00"}, "versions[0].effective_from"),
    ({"parts": {}}, "versions[0].parts"),
    ({"minimum_callout": "80.00"}, "versions[0].minimum_callout"),
])
def test_schedule_validation_names_the_bad_key(overrides, bad_key):
    with pytest.raises(ValueError) as raised:
        make_schedules(version_data(**overrides))

    assert str(raised.value).startswith(bad_key + ":")


def test_versions_must_be_distinct_and_take_effect_in_order():
    with pytest.raises(ValueError, match="version 2 must take effect after version 1"):
        make_schedules(version_data(), version_data(version=2, effective_from="2019-01-01T00:00:00Z"))
    with pytest.raises(ValueError, match="version 1 appears twice"):
        make_schedules(version_data(), version_data())
    with pytest.raises(ValueError, match="^currency"):
        make_schedules(currency="yuan")


def test_the_packaged_schedule_prices_labour_but_no_parts():
    schedules = load_default_schedule()
    schedule = schedules.latest

    assert schedules.currency == "CNY" and schedule.minimum_call_out == Decimal("80.00")
    assert not hasattr(schedule, "parts")
    for category in ("washing_machine", "refrigerator", "air_conditioner", "television", "default"):
        for service_type in ("onsite", "depot", "mail_in", "install"):
            assert schedule.labour_fee(category, service_type) > Decimal("0.00")
    assert schedule.penalties.repeat_clawback is True


def test_override_schedule_file_is_loaded_and_errors_name_the_file(tmp_path):
    good = tmp_path / "fees.json"
    good.write_text(json.dumps({"currency": "USD", "versions": [version_data()]}), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"currency": "USD", "versions": [version_data(hourly_rate=120.5)]}), encoding="utf-8")

    assert load_schedule(good).currency == "USD"
    assert load_schedule(good).latest.hourly_rate == Decimal("120.00")
    with pytest.raises(ValueError, match=r"bad.json: versions\[0\].hourly_rate"):
        load_schedule(str(bad))
