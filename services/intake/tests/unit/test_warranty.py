from datetime import date

import pytest

from intake.domain.policies import IN_WARRANTY, OUT_OF_WARRANTY, WARRANTY_UNKNOWN, WarrantyTerms, add_months

TERMS = WarrantyTerms(default_months=12, months_by_category={"television": 24, "remote": 0})


def test_purchase_within_the_term_is_in_warranty():
    warranty = TERMS.decide("washer", date(2025, 6, 1), today=date(2026, 3, 10))
    assert (warranty.status, warranty.expires_on) == (IN_WARRANTY, date(2026, 6, 1))


def test_purchase_older_than_the_term_is_out_of_warranty():
    warranty = TERMS.decide("washer", date(2024, 6, 1), today=date(2026, 3, 10))
    assert (warranty.status, warranty.expires_on) == (OUT_OF_WARRANTY, date(2025, 6, 1))


@pytest.mark.parametrize("today, status", [
    (date(2026, 3, 9), IN_WARRANTY),       # the last day covered
    (date(2026, 3, 10), OUT_OF_WARRANTY),  # the expiry day itself is no longer covered
    (date(2026, 3, 11), OUT_OF_WARRANTY),
])
def test_cover_ends_on_the_expiry_day(today, status):
    warranty = TERMS.decide("washer", date(2025, 3, 10), today=today)
    assert warranty.expires_on == date(2026, 3, 10)
    assert warranty.status == status


def test_purchased_today_is_in_warranty():
    assert TERMS.decide("washer", date(2026, 3, 10), today=date(2026, 3, 10)).status == IN_WARRANTY


@pytest.mark.parametrize("purchased, months, expires", [
    (date(2024, 2, 29), 12, date(2025, 2, 28)),   # no Feb 29 in 2025
    (date(2024, 2, 29), 48, date(2028, 2, 29)),   # leap year again
    (date(2024, 1, 31), 1, date(2024, 2, 29)),
    (date(2025, 1, 31), 1, date(2025, 2, 28)),
    (date(2026, 8, 31), 1, date(2026, 9, 30)),
    (date(2025, 3, 31), 11, date(2026, 2, 28)),
    (date(2026, 12, 31), 2, date(2027, 2, 28)),
    (date(2025, 12, 15), 1, date(2026, 1, 15)),   # across the year end
    (date(2025, 11, 30), 14, date(2027, 1, 30)),
    (date(2025, 5, 17), 0, date(2025, 5, 17)),
])
def test_months_are_calendar_months_clamped_to_the_end_of_a_short_month(purchased, months, expires):
    assert add_months(purchased, months) == expires


def test_feb_29_purchase_is_covered_until_feb_28_the_year_after():
    assert TERMS.decide("washer", date(2024, 2, 29), today=date(2025, 2, 27)).status == IN_WARRANTY
    assert TERMS.decide("washer", date(2024, 2, 29), today=date(2025, 2, 28)).status == OUT_OF_WARRANTY


def test_category_term_overrides_the_default():
    television = TERMS.decide("television", date(2025, 1, 15), today=date(2026, 3, 10))
    washer = TERMS.decide("washer", date(2025, 1, 15), today=date(2026, 3, 10))
    assert (television.status, television.expires_on) == (IN_WARRANTY, date(2027, 1, 15))
    assert (washer.status, washer.expires_on) == (OUT_OF_WARRANTY, date(2026, 1, 15))


def test_category_without_warranty_is_out_of_warranty_from_day_one():
    warranty = TERMS.decide("remote", date(2026, 3, 10), today=date(2026, 3, 10))
    assert (warranty.status, warranty.expires_on) == (OUT_OF_WARRANTY, date(2026, 3, 10))


@pytest.mark.parametrize("category", ["television", "washer"])
def test_without_a_purchase_date_the_warranty_is_unknown(category):
    warranty = TERMS.decide(category, None, today=date(2026, 3, 10))
    assert warranty.status == WARRANTY_UNKNOWN
    assert warranty.expires_on is None
