"""Two-parameter Weibull life-data analysis for field failures.

Pure domain code: ages are in days, a unit that has not failed yet is a
right-censored suspension, and parameters are maximum-likelihood estimates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
from scipy import optimize, stats

MIN_FAILURES = 2

# Ages are whole days, so a unit that failed on its purchase day has a true
# age somewhere in [0, 1). Zero itself is impossible under a Weibull model
# (log-density is -inf or +inf there), so we use the midpoint of that day.
SAME_DAY_AGE = 0.5


class NotEnoughFailures(ValueError):
    """The data cannot identify both Weibull parameters."""


@dataclass(frozen=True)
class WeibullFit:
    beta: float  # shape
    eta: float  # scale (characteristic life), days
    failures: int
    suspensions: int
    log_likelihood: float
    # Var/Cov of (beta, eta) from the Fisher information; None where the curvature is singular.
    covariance: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def mean_life(self) -> float:
        """Mean time to failure: eta * Gamma(1 + 1/beta)."""
        return self.eta * math.gamma(1.0 + 1.0 / self.beta)

    def b_life(self, p: float) -> float:
        """Age in days by which a fraction ``p`` of the population has failed."""
        if not 0.0 < p < 1.0:
            raise ValueError(f"fraction failed must be strictly between 0 and 1, got {p}")
        return self.eta * (-math.log1p(-p)) ** (1.0 / self.beta)

    @property
    def b10(self) -> float:
        return self.b_life(0.10)


def _finite_mean_life(beta: float, eta: float) -> bool:
    """A shape so shallow that Gamma(1 + 1/beta) overflows a double leaves no usable fit to report."""
    try:
        return math.isfinite(eta * math.gamma(1.0 + 1.0 / beta))
    except OverflowError:
        return False


def fit_weibull(
    failure_ages: Sequence[float],
    suspension_ages: Sequence[float],
    failure_counts: Sequence[float] | None = None,
    suspension_counts: Sequence[float] | None = None,
) -> WeibullFit:
    """Maximum-likelihood two-parameter Weibull fit with right-censored suspensions.

    ``*_counts`` say how many units share each age (grouped data, or a fleet aggregated by age in
    SQL); without them every age is one unit.

    Why not ``scipy.stats.weibull_min.fit(CensoredData, floc=0)``: it runs a
    generic simplex search on both parameters, and with warranty-shaped data
    (a handful of failures among thousands of suspensions) it stops well short
    of the maximum. Instead we use the standard profile-likelihood reduction:
    for a fixed beta the best eta has a closed form, and the remaining score
    equation in beta is strictly decreasing, so a bracketed root search
    (Brent) converges to the unique maximum without needing a starting guess.
    """
    failures, failure_weights = _weighted(failure_ages, failure_counts, "failure")
    suspensions, suspension_weights = _weighted(suspension_ages, suspension_counts, "suspension")
    failed = failure_weights.sum()
    if failed < MIN_FAILURES:
        raise NotEnoughFailures(
            f"a Weibull fit needs at least {MIN_FAILURES} failures, got {failed:g}"
        )

    all_ages = np.concatenate([failures, suspensions])
    all_weights = np.concatenate([failure_weights, suspension_weights])
    # Working in ages relative to the oldest unit keeps t**beta within [0, 1]
    # for any beta, so steep shapes cannot overflow.
    oldest = all_ages.max()
    with np.errstate(divide="ignore", under="ignore"):
        log_rel_failures = np.log(failures / oldest)
        log_rel_all = np.log(all_ages / oldest)
    mean_log_rel_failure = failure_weights @ log_rel_failures / failed

    if mean_log_rel_failure == 0.0:
        # Every failure at the same age and nothing survived past it: the
        # likelihood keeps rising as beta -> infinity, there is no finite MLE.
        raise NotEnoughFailures(
            "all failures occurred at the same age and no unit survived longer; "
            "at least two distinct failure ages are needed"
        )

    def score(beta: float) -> float:
        weights = all_weights * np.exp(beta * log_rel_all)
        return 1.0 / beta + mean_log_rel_failure - weights @ log_rel_all / weights.sum()

    # The weighted mean above is <= 0, so the score is positive wherever
    # 1/beta > -mean_log_rel_failure; double from there until it turns negative.
    try:
        with np.errstate(all="raise"):
            low = 0.5 / -mean_log_rel_failure
            high = 2.0 * low
            while score(high) > 0.0:
                low, high = high, 2.0 * high
            beta = optimize.brentq(score, low, high, xtol=1e-12, rtol=1e-12)
            sum_rel_power = all_weights @ np.exp(beta * log_rel_all)
            eta = oldest * (sum_rel_power / failed) ** (1.0 / beta)
    except (ArithmeticError, FloatingPointError, ValueError) as exc:
        # Ages spanning hundreds of orders of magnitude: no fit a double can hold.
        raise NotEnoughFailures("the ages span too wide a range for a Weibull fit") from exc
    if not (math.isfinite(beta) and math.isfinite(eta) and eta > 0 and _finite_mean_life(beta, eta)):
        raise NotEnoughFailures("the ages span too wide a range for a Weibull fit")

    with np.errstate(all="ignore"):
        log_likelihood = (
            failure_weights @ stats.weibull_min.logpdf(failures, beta, scale=eta)
            + suspension_weights @ stats.weibull_min.logsf(suspensions, beta, scale=eta)
        )
    covariance = _covariance(beta, eta, failures, failure_weights, all_ages, all_weights)
    return WeibullFit(
        beta=float(beta),
        eta=float(eta),
        failures=_whole(failed),
        suspensions=_whole(suspension_weights.sum()),
        log_likelihood=float(log_likelihood),
        covariance=covariance,
    )


def _whole(count: float) -> int:
    return int(round(float(count)))


def _covariance(beta, eta, failures, failure_weights, all_ages, all_weights):
    """Inverse of the observed Fisher information in (beta, eta) at the maximum: the local curvature of
    the log-likelihood, from its analytic second derivatives (as Weibull++ and Nelson compute it)."""
    failed = failure_weights.sum()
    with np.errstate(all="ignore"):
        return _inverse_information(beta, eta, failed, all_ages, all_weights)


def _inverse_information(beta, eta, failed, all_ages, all_weights):
    log_z = np.log(all_ages / eta)
    power = all_weights * np.exp(beta * log_z)
    total = power.sum()
    d2_beta = -failed / beta**2 - power @ log_z**2
    d2_eta = (beta / eta**2) * (failed - (beta + 1.0) * total)
    d2_cross = (total - failed) / eta + (beta / eta) * (power @ log_z)
    information = -np.array([[d2_beta, d2_cross], [d2_cross, d2_eta]])
    try:
        inverse = np.linalg.inv(information)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(inverse)):
        return None
    return ((float(inverse[0, 0]), float(inverse[0, 1])), (float(inverse[1, 0]), float(inverse[1, 1])))


def _weighted(ages: Sequence[float], counts: Sequence[float] | None, kind: str) -> tuple[np.ndarray, np.ndarray]:
    values = _clean_ages(ages, kind)
    if counts is None:
        return values, np.ones_like(values)
    weights = np.asarray(counts, dtype=float).reshape(-1)
    if weights.shape != values.shape:
        raise ValueError(f"{kind} counts must pair with {kind} ages one to one")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{kind} counts must be numbers of units, not negative")
    keep = weights > 0
    return values[keep], weights[keep]


def _clean_ages(ages: Sequence[float], kind: str) -> np.ndarray:
    values = np.asarray(ages, dtype=float).reshape(-1)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{kind} ages must be finite numbers of days")
    if np.any(values < 0):
        raise ValueError(f"{kind} ages must not be negative, got {values.min()} days")
    return np.where(values == 0.0, SAME_DAY_AGE, values)


def age_in_days(start: date, end: date) -> int:
    if end < start:
        raise ValueError(f"age cannot be negative: {end} is before {start}")
    return (end - start).days


@dataclass(frozen=True)
class FailureEvent:
    serial: str
    purchase_date: date
    failed_on: date


class LifeData(NamedTuple):
    failure_ages: tuple[int, ...]
    suspension_ages: tuple[int, ...]


def unit_ages(
    units: Mapping[str, date],
    failures: Iterable[FailureEvent],
    as_of: date,
) -> LifeData:
    """Turn an installed base and its failure history into life data at ``as_of``.

    ``units`` maps serial -> purchase date of every registered unit.
    ``failures`` may hold several events per serial; only the first one on or
    before ``as_of`` counts, because after a repair the unit is no longer the
    original population member. A unit with no failure by ``as_of`` is a
    suspension at its age on ``as_of``; units not yet sold by then are left out.
    """
    purchase_dates: dict[str, date] = {}
    first_failure: dict[str, date] = {}
    for event in failures:
        # Sold units missing from the registry still belong to the population,
        # so they are known only through their failure events.
        purchase_dates.setdefault(event.serial, event.purchase_date)
        if event.failed_on <= as_of:
            earlier = first_failure.get(event.serial)
            if earlier is None or event.failed_on < earlier:
                first_failure[event.serial] = event.failed_on
    # The registry is the authority on purchase dates where it has one.
    purchase_dates.update(units)

    failure_ages: list[int] = []
    suspension_ages: list[int] = []
    for serial in sorted(purchase_dates):
        purchased = purchase_dates[serial]
        if purchased > as_of:
            continue
        failed_on = first_failure.get(serial)
        if failed_on is None:
            suspension_ages.append(age_in_days(purchased, as_of))
        else:
            failure_ages.append(age_in_days(purchased, failed_on))
    return LifeData(tuple(failure_ages), tuple(suspension_ages))


@dataclass(frozen=True)
class Bounds:
    lower: float
    upper: float


@dataclass(frozen=True)
class WeibullBounds:
    confidence: float
    sides: int
    beta: Bounds
    eta: Bounds
    b10: Bounds


def fisher_bounds(fit: WeibullFit, confidence: float = 0.90, sides: int = 2) -> WeibullBounds | None:
    """Fisher-matrix confidence bounds (Nelson; Weibull++'s default): the positive parameters and the
    B10 life are taken as log-normal around their estimates, with variances from the covariance matrix
    (B10 by the delta method on ln B10 = ln eta + ln(-ln 0.9) / beta). One-sided bounds put all of
    ``1 - confidence`` in one tail; two-sided split it. None when the information matrix was singular."""
    if fit.covariance is None:
        return None
    if not 0.0 < confidence < 1.0 or sides not in (1, 2):
        raise ValueError("confidence must be strictly between 0 and 1 and sides 1 or 2")
    z = stats.norm.ppf(1.0 - (1.0 - confidence) / sides)
    (var_beta, cov), (_, var_eta) = fit.covariance

    def around(value: float, log_sd: float) -> Bounds:
        spread = math.exp(z * log_sd) if math.isfinite(log_sd) else math.inf
        return Bounds(value / spread, value * spread)

    k = math.log(-math.log1p(-0.10))
    d_beta, d_eta = -k / fit.beta**2, 1.0 / fit.eta
    var_log_b10 = d_beta**2 * var_beta + d_eta**2 * var_eta + 2.0 * d_beta * d_eta * cov
    for value in (var_beta, var_eta, var_log_b10, fit.b10):
        if not math.isfinite(value):
            return None
    return WeibullBounds(
        confidence=confidence,
        sides=sides,
        beta=around(fit.beta, math.sqrt(max(var_beta, 0.0)) / fit.beta),
        eta=around(fit.eta, math.sqrt(max(var_eta, 0.0)) / fit.eta),
        b10=around(fit.b10, math.sqrt(max(var_log_b10, 0.0))),
    )
