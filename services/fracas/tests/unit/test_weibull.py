import dataclasses
import math
import warnings
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from fracas.domain.weibull import (
    FailureEvent,
    LifeData,
    NotEnoughFailures,
    WeibullFit,
    age_in_days,
    fit_weibull,
    unit_ages,
)

# Published reference: NIST/SEMATECH e-Handbook of Statistical Methods,
# section 8.4.1.3 "A Weibull maximum likelihood estimation example",
# https://www.itl.nist.gov/div898/handbook/apr/section4/apr413.htm
# (data from section 8.2.2.1): 20 units on test, 10 failures (hours below),
# 10 units removed unfailed at 500 hours. Published MLE: eta = 606.5280,
# beta = 1.7208, log-likelihood 75.135 (printed without its sign), AIC 154.27.
NIST_FAILURES = [54, 187, 216, 240, 244, 335, 361, 373, 375, 386]
NIST_SUSPENSIONS = [500] * 10


def _log_likelihood(failures, suspensions, beta, eta):
    return (
        stats.weibull_min.logpdf(failures, beta, scale=eta).sum()
        + stats.weibull_min.logsf(suspensions, beta, scale=eta).sum()
    )


def test_matches_published_nist_censored_example():
    fit = fit_weibull(NIST_FAILURES, NIST_SUSPENSIONS)

    assert fit.beta == pytest.approx(1.7208, rel=1e-4)
    assert fit.eta == pytest.approx(606.5280, rel=1e-5)
    assert fit.log_likelihood == pytest.approx(-75.135, abs=5e-4)
    assert 2 * 2 - 2 * fit.log_likelihood == pytest.approx(154.27, abs=5e-3)
    assert (fit.failures, fit.suspensions) == (10, 10)


def test_without_suspensions_matches_scipy_uncensored_fit():
    ages = [12, 35, 48, 60, 77, 81, 95, 110, 140, 190, 230, 260]
    beta, _, eta = stats.weibull_min.fit(ages, floc=0)

    fit = fit_weibull(ages, [])

    assert fit.beta == pytest.approx(beta, rel=1e-6)
    assert fit.eta == pytest.approx(eta, rel=1e-6)
    assert fit.suspensions == 0


def test_more_suspensions_raise_eta():
    failures = [30, 90, 150, 240, 400]
    etas = [
        fit_weibull(failures, [365] * n_suspensions).eta
        for n_suspensions in (0, 10, 100, 1000)
    ]

    assert etas == sorted(etas)
    assert len(set(etas)) == len(etas)


def test_finds_the_maximum_with_warranty_shaped_censoring():
    # A handful of failures among thousands of suspensions: the regime where
    # scipy's generic censored fit stops short of the maximum.
    rng = np.random.default_rng(7)
    failures = [5, 40, 200]
    suspensions = rng.integers(1, 1500, size=20_000).tolist()

    fit = fit_weibull(failures, suspensions)

    def log_likelihood(log_beta, log_eta):
        return _log_likelihood(failures, suspensions, math.exp(log_beta), math.exp(log_eta))

    at = (math.log(fit.beta), math.log(fit.eta))
    step = 1e-5
    for axis in range(2):
        up, down = list(at), list(at)
        up[axis] += step
        down[axis] -= step
        slope = (log_likelihood(*up) - log_likelihood(*down)) / (2 * step)
        assert slope == pytest.approx(0.0, abs=1e-4)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = stats.CensoredData.right_censored(
            failures + suspensions, [0] * len(failures) + [1] * len(suspensions)
        )
        scipy_beta, _, scipy_eta = stats.weibull_min.fit(data, floc=0)
    assert fit.log_likelihood >= _log_likelihood(
        failures, suspensions, scipy_beta, scipy_eta
    ) - 1e-9


@pytest.mark.parametrize("failures", [[], [120]])
def test_fewer_than_two_failures_is_not_enough(failures):
    with pytest.raises(NotEnoughFailures, match="at least 2 failures"):
        fit_weibull(failures, [300, 400])


def test_not_enough_failures_is_a_value_error():
    assert issubclass(NotEnoughFailures, ValueError)


def test_identical_failures_with_no_older_survivor_cannot_be_fitted():
    with pytest.raises(NotEnoughFailures, match="same age"):
        fit_weibull([100, 100, 100], [20, 50])


def test_identical_failures_with_an_older_survivor_can_be_fitted():
    fit = fit_weibull([100, 100, 100], [20, 50, 400])

    assert fit.beta > 0 and fit.eta > 0


@pytest.mark.parametrize(
    ("failures", "suspensions", "kind"),
    [([10, -1, 30], [50], "failure"), ([10, 20], [50, -3], "suspension")],
)
def test_negative_ages_are_rejected(failures, suspensions, kind):
    with pytest.raises(ValueError, match=f"{kind} ages must not be negative"):
        fit_weibull(failures, suspensions)


def test_same_day_failure_counts_as_half_a_day():
    assert fit_weibull([0, 20, 45, 90], [100, 0]) == fit_weibull(
        [0.5, 20, 45, 90], [100, 0.5]
    )


def test_b_life():
    fit = WeibullFit(beta=2.0, eta=1000.0, failures=5, suspensions=0, log_likelihood=0.0)

    assert fit.b_life(1 - math.exp(-1)) == pytest.approx(1000.0)
    assert fit.b10 == pytest.approx(1000.0 * math.sqrt(-math.log(0.9)))
    assert fit.b_life(0.10) == fit.b10
    for bad in (0.0, 1.0, -0.1, 1.5):
        with pytest.raises(ValueError):
            fit.b_life(bad)


def test_fit_is_immutable():
    fit = fit_weibull(NIST_FAILURES, NIST_SUSPENSIONS)

    with pytest.raises(dataclasses.FrozenInstanceError):
        fit.beta = 1.0


def test_age_in_days():
    assert age_in_days(date(2024, 2, 28), date(2024, 3, 1)) == 2
    assert age_in_days(date(2024, 1, 1), date(2024, 1, 1)) == 0
    with pytest.raises(ValueError):
        age_in_days(date(2024, 1, 2), date(2024, 1, 1))


AS_OF = date(2024, 6, 30)


def _days_before(days):
    return AS_OF - timedelta(days=days)


def test_unit_ages_counts_only_the_first_failure():
    units = {"A": _days_before(300)}
    failures = [
        FailureEvent("A", _days_before(300), _days_before(100)),
        FailureEvent("A", _days_before(300), _days_before(200)),
        FailureEvent("A", _days_before(300), _days_before(10)),
    ]

    assert unit_ages(units, failures, AS_OF) == LifeData((100,), ())


def test_unit_ages_treats_failure_after_as_of_as_suspension():
    units = {"A": _days_before(300)}
    failures = [FailureEvent("A", _days_before(300), AS_OF + timedelta(days=5))]

    assert unit_ages(units, failures, AS_OF) == LifeData((), (300,))


def test_unit_ages_drops_units_bought_after_as_of():
    units = {"A": _days_before(10), "LATE": AS_OF + timedelta(days=1)}
    failures = [FailureEvent("LATE", AS_OF + timedelta(days=1), AS_OF + timedelta(days=3))]

    assert unit_ages(units, failures, AS_OF) == LifeData((), (10,))


def test_unit_ages_keeps_failed_serials_missing_from_installed_base():
    units = {"A": _days_before(50)}
    failures = [FailureEvent("UNREGISTERED", _days_before(400), _days_before(40))]

    failure_ages, suspension_ages = unit_ages(units, failures, AS_OF)

    assert failure_ages == (360,)
    assert suspension_ages == (50,)


def test_unit_ages_mixed_population():
    units = {
        "FAILED": _days_before(500),
        "SURVIVOR": _days_before(200),
        "BOUGHT_TODAY": AS_OF,
        "FAILED_ON_PURCHASE_DAY": _days_before(30),
    }
    failures = [
        FailureEvent("FAILED", _days_before(500), _days_before(380)),
        FailureEvent("FAILED_ON_PURCHASE_DAY", _days_before(30), _days_before(30)),
    ]

    life = unit_ages(units, failures, AS_OF)

    assert sorted(life.failure_ages) == [0, 120]
    assert sorted(life.suspension_ages) == [0, 200]
    fit_weibull(*life)  # zero ages are acceptable input to the fit


def test_unit_ages_rejects_failure_before_purchase():
    units = {"A": _days_before(10)}
    failures = [FailureEvent("A", _days_before(10), _days_before(20))]

    with pytest.raises(ValueError):
        unit_ages(units, failures, AS_OF)
