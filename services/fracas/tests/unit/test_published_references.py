"""The reliability maths against examples whose answers are published, cited with the published figures
and checked to the precision they were published to."""
import math

import pytest

from fracas.domain.growth import BadGrowthData, fit_failure_times, fit_grouped
from fracas.domain.mtbf import mtbf_bounds
from fracas.domain.weibull import fisher_bounds, fit_weibull

# -- Weibull, complete data ---------------------------------------------------------------------------
# ReliaSoft, Life Data Analysis Reference (ReliaWiki "The Weibull Distribution", MLE example repeating
# Example 1; https://www.reliawiki.com/index.php?title=Template:Example:_Weibull_MLE): six units failing at
# 16, 34, 53, 75, 93 and 120 hours. Published: beta = 1.933, eta = 73.526; variance/covariance matrix
# Var(beta) = 0.4211, Cov(beta, eta) = 3.272, Var(eta) = 266.646.
RELIASOFT_COMPLETE = [16, 34, 53, 75, 93, 120]


def test_complete_data_matches_reliasoft_mle_example():
    fit = fit_weibull(RELIASOFT_COMPLETE, [])

    assert round(fit.beta, 3) == 1.933
    assert round(fit.eta, 3) == 73.526
    (var_beta, cov), (_, var_eta) = fit.covariance
    assert round(var_beta, 4) == 0.4211
    assert round(cov, 3) == 3.272
    assert var_eta == pytest.approx(266.646, abs=0.01)


def test_fisher_bounds_follow_from_the_published_variances():
    # The bounds are beta * exp(+-z sqrt(Var)/beta) with z = 1.645 at 90% two-sided (ReliaSoft's formula).
    fit = fit_weibull(RELIASOFT_COMPLETE, [])
    bounds = fisher_bounds(fit, confidence=0.90, sides=2)

    spread = math.exp(1.644854 * math.sqrt(0.4211) / 1.933)
    assert bounds.beta.lower == pytest.approx(1.933 / spread, rel=2e-3)
    assert bounds.beta.upper == pytest.approx(1.933 * spread, rel=2e-3)
    assert bounds.eta.lower < fit.eta < bounds.eta.upper
    assert bounds.b10.lower < fit.b10 < bounds.b10.upper
    wider = fisher_bounds(fit, confidence=0.95, sides=2)
    assert wider.beta.lower < bounds.beta.lower and wider.beta.upper > bounds.beta.upper


# -- Weibull, right-censored and grouped suspensions ------------------------------------------------------
# NIST/SEMATECH e-Handbook of Statistical Methods, 8.4.1.3 (https://www.itl.nist.gov/div898/handbook/apr/
# section4/apr413.htm): failures at 54, 187, 216, 240, 244, 335, 361, 373, 375, 386 hours; 10 units removed
# unfailed at 500 hours (given as one row, "500, censored, frequency 10"). Published: eta = 606.5280,
# beta = 1.7208, mean life eta * Gamma(1 + 1/beta) = 540.737 hours, log-likelihood -75.135.
NIST_FAILURES = [54, 187, 216, 240, 244, 335, 361, 373, 375, 386]


def test_grouped_suspensions_match_nist_censored_example():
    fit = fit_weibull(NIST_FAILURES, [500], suspension_counts=[10])

    assert fit.eta == pytest.approx(606.5280, abs=5e-4)  # half a unit in the last published place
    assert round(fit.beta, 4) == 1.7208
    assert round(fit.mean_life, 3) == pytest.approx(540.737, abs=2e-3)
    assert round(fit.log_likelihood, 3) == -75.135
    assert (fit.failures, fit.suspensions) == (10, 10)


def test_counts_are_the_same_as_repeated_ages():
    grouped = fit_weibull([54, 187, 216], [300, 500], failure_counts=[2, 1, 3], suspension_counts=[4, 10])
    expanded = fit_weibull([54, 54, 187, 216, 216, 216], [300] * 4 + [500] * 10)

    assert grouped.beta == pytest.approx(expanded.beta, rel=1e-10)
    assert grouped.eta == pytest.approx(expanded.eta, rel=1e-10)
    assert sum(grouped.covariance, ()) == pytest.approx(sum(expanded.covariance, ()), rel=1e-8)


# -- Crow-AMSAA, individual failure times -----------------------------------------------------------------
# ReliaSoft, Reliability Growth and Repairable System Analysis Reference, "Crow-AMSAA Model Examples",
# Parameter Estimation for Failure Times Data (http://reliawiki.org/index.php/Crow-AMSAA_Model_Examples;
# also MIL-HDBK-189C's estimator): 22 failures, failure-terminated at 620 hours. Published:
# sum ln T_i = 105.6355, beta = 22 / (22 ln 620 - 105.6355) = 0.6142, and the MTBF of the configuration at
# the end of the test (1 / instantaneous failure intensity) "46 hours".
CROW_TIMES = [2.7, 10.3, 12.5, 30.6, 57.0, 61.3, 80.0, 109.5, 125.0, 128.6, 143.8, 167.9, 229.2, 296.7,
              320.6, 328.2, 366.2, 396.7, 421.1, 438.2, 501.2, 620.0]


def test_failure_terminated_matches_reliasoft_example():
    fit = fit_failure_times(CROW_TIMES)

    assert round(sum(math.log(t) for t in CROW_TIMES), 4) == 105.6355
    assert round(fit.beta, 4) == 0.6142
    assert fit.lam == pytest.approx(22 / 620**fit.beta)
    assert round(fit.instantaneous_mtbf) == 46
    assert fit.cumulative_mtbf == pytest.approx(620 / 22)
    assert fit.terminated == "failure"


def test_time_terminated_uses_the_end_of_the_test():
    # MIL-HDBK-189C 5.2: for a test stopped at T (no failure there) beta = n / sum ln(T / t_i), which with the
    # published sum of logs above is 22 / (22 ln T - 105.6355).
    fit = fit_failure_times(CROW_TIMES, end_time=700.0)

    assert fit.beta == pytest.approx(22 / (22 * math.log(700) - 105.6355), rel=1e-5)
    assert fit.beta < 0.6142
    assert fit.terminated == "time" and fit.end_time == 700.0


# -- Crow-AMSAA, grouped data -------------------------------------------------------------------------------
# ReliaSoft, Reliability Growth reference, "Grouped Data for the Crow-AMSAA Model", Example 4
# (http://www.weibull.com/RelGrowthWeb/Grouped_Data_for_the_Crow-AMSAA_Model.htm): cumulative failures
# 2, 3, 4, 11 at 200, 400, 600, 3000 hours. Published: beta = 0.6315, lambda = n / T_k**beta.
def test_grouped_matches_reliasoft_example_4():
    fit = fit_grouped([200, 400, 600, 3000], [2, 1, 1, 7])

    assert round(fit.beta, 4) == 0.6315
    assert fit.lam == pytest.approx(11 / 3000**fit.beta)
    assert fit.failures == 11 and fit.end_time == 3000


@pytest.mark.parametrize(("call", "field"), [
    (lambda: fit_failure_times([]), "failure_times"),
    (lambda: fit_failure_times([5, -1]), "failure_times"),
    (lambda: fit_failure_times([5, 10], end_time=8), "end_time"),
    (lambda: fit_grouped([100], [3]), "intervals"),
    (lambda: fit_grouped([100, 50], [1, 2]), "intervals"),
    (lambda: fit_grouped([100, 200], [0, 0]), "intervals"),
])
def test_growth_data_that_cannot_be_analysed_is_named(call, field):
    with pytest.raises(BadGrowthData) as error:
        call()
    assert error.value.field == field


# -- MTBF chi-square bounds -----------------------------------------------------------------------------------
# Chi-square quantiles from the NIST/SEMATECH e-Handbook table of critical values, 1.3.6.7.4
# (https://www.itl.nist.gov/div898/handbook/eda/section3/eda3674.htm):
# upper-tail 0.05: df 10 -> 18.307, df 8 -> 15.507; lower-tail 0.05: df 8 -> 2.733; upper-tail 0.10: df 10 -> 15.987.
def test_time_terminated_two_sided_bounds_match_the_chi_square_table():
    estimate = mtbf_bounds(total_time=1000, failures=4, confidence=0.90, sides=2, test="time_terminated")

    assert estimate.mtbf == 250
    assert estimate.lower == pytest.approx(2000 / 18.307, rel=1e-4)
    assert estimate.upper == pytest.approx(2000 / 2.733, rel=1e-3)


def test_failure_terminated_and_one_sided_bounds_match_the_chi_square_table():
    failure_terminated = mtbf_bounds(1000, 4, 0.90, 2, "failure_terminated")
    one_sided = mtbf_bounds(1000, 4, 0.90, 1, "time_terminated")

    assert failure_terminated.lower == pytest.approx(2000 / 15.507, rel=1e-4)
    assert one_sided.lower == pytest.approx(2000 / 15.987, rel=1e-4)
    assert one_sided.upper is None


def test_no_failures_still_has_a_lower_bound():
    estimate = mtbf_bounds(1000, 0, 0.90, 2, "time_terminated")
    # df 2, upper-tail 0.05: 5.991 (same table).
    assert estimate.mtbf is None and estimate.upper is None
    assert estimate.lower == pytest.approx(2000 / 5.991, rel=1e-3)
