from datetime import date, datetime, time, timedelta, timezone

import pytest

from fakes import FakeStore, FakeUnitOfWork
from fracas.domain.failures import FailureDetail, FailureRecord, Product
from fracas.domain.installed_base import InstalledUnit
from fracas.domain.reliability import FailureObservation, SkippedUnits, life_data, weibull_report
from fracas.domain.weibull import NotEnoughFailures, fit_weibull
from fracas.service_layer.queries import weibull_for_model

AS_OF = date(2024, 12, 31)


def days_before(days):
    return AS_OF - timedelta(days=days)


def test_registered_purchase_date_wins_over_the_repair_report():
    registered = {"A": days_before(300)}
    observations = [FailureObservation("A", days_before(900), days_before(100))]

    ages, skipped = life_data(registered, observations, AS_OF)

    assert ages.failure_ages == (200,)
    assert skipped == SkippedUnits()


def test_unregistered_failed_unit_counts_with_the_purchase_date_its_report_carries():
    observations = [
        FailureObservation("U", None, days_before(40)),
        FailureObservation("U", days_before(400), days_before(10)),
    ]

    ages, skipped = life_data({}, observations, AS_OF)

    assert ages.failure_ages == (360,)
    assert skipped.total == 0


def test_failed_units_without_any_purchase_date_are_skipped_and_counted():
    observations = [
        FailureObservation("X", None, days_before(40)),
        FailureObservation("X", None, days_before(20)),
        FailureObservation("Y", None, days_before(5)),
    ]

    ages, skipped = life_data({"A": days_before(50)}, observations, AS_OF)

    assert ages.failure_ages == () and ages.suspension_ages == (50,)
    assert skipped == SkippedUnits(no_purchase_date=2)
    assert skipped.total == 2


def test_a_unit_that_failed_before_it_was_bought_is_left_out_entirely():
    registered = {"A": days_before(10), "B": days_before(30)}
    observations = [FailureObservation("A", None, days_before(20))]

    ages, skipped = life_data(registered, observations, AS_OF)

    assert ages.failure_ages == () and ages.suspension_ages == (30,)
    assert skipped == SkippedUnits(failed_before_purchase=1)


def test_not_enough_failures_names_the_model_and_the_date():
    with pytest.raises(NotEnoughFailures, match=r"'WM-100' as of 2024-12-31: .*at least 2 failures, got 1"):
        weibull_report("WM-100", AS_OF, {"A": days_before(300), "B": days_before(200)},
                       [FailureObservation("A", None, days_before(100))])


def record(work_order_id, serial, model, failed_on, purchase_date=None, outcome="repaired"):
    return FailureRecord(
        work_order_id=work_order_id, ticket_id=f"T-{work_order_id}", engineer_id="E", outcome=outcome,
        completed_at=datetime.combine(failed_on, time(15, 0), tzinfo=timezone.utc),
        failure=FailureDetail(), product=Product(model, serial, "washer", purchase_date),
        parts_used=(), warranty_status="in_warranty",
    )


def test_weibull_for_model_takes_the_model_from_the_registry_first():
    store = FakeStore()
    store.units = {
        "A": InstalledUnit("A", "WM-100", "washer", days_before(400)),
        "B": InstalledUnit("B", "WM-100", "washer", days_before(300)),
        "C": InstalledUnit("C", "WM-200", "washer", days_before(300)),
        "D": InstalledUnit("D", "WM-100", "washer", days_before(250)),
    }
    store.failures = {r.work_order_id: r for r in [
        record("1", "A", "WM-100", days_before(100)),
        # Reported under another model, but the registry knows it as a WM-100.
        record("2", "B", "WM-999", days_before(50)),
        # Reported as a WM-100, but the registry knows it as a WM-200.
        record("3", "C", "WM-100", days_before(10)),
        # Not in the registry: its report decides the model and the purchase date.
        record("4", "U", "WM-100", days_before(20), purchase_date=days_before(220)),
        record("5", "V", "WM-200", days_before(20), purchase_date=days_before(220)),
        # A visit that found nothing wrong is no failure.
        record("6", "D", "WM-100", days_before(5), outcome="no_fault_found"),
    ]}

    report = weibull_for_model("WM-100", AS_OF, FakeUnitOfWork(store))

    expected = fit_weibull([300, 250, 200], [250])
    assert (report.fit.failures, report.fit.suspensions) == (3, 1)
    assert report.fit.beta == pytest.approx(expected.beta, rel=1e-12)
    assert report.fit.eta == pytest.approx(expected.eta, rel=1e-12)
    assert report.model == "WM-100" and report.as_of == AS_OF
