"""Crow-AMSAA reliability growth: a non-homogeneous Poisson process with power-law intensity
rho(t) = lambda * beta * t**(beta - 1), fitted by maximum likelihood (MIL-HDBK-189C, section 5).

Pure domain code. Times are cumulative (test hours, or calendar days of a fleet), all positive.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize


class BadGrowthData(ValueError):
    """The data cannot be analysed; the message names what is wrong, ``field`` where it is."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GrowthFit:
    beta: float
    lam: float
    failures: int
    end_time: float
    terminated: str  # "failure", "time" or "grouped"

    @property
    def cumulative_mtbf(self) -> float:
        """End time over failures: the MTBF the whole test demonstrated on average."""
        return self.end_time / self.failures

    @property
    def instantaneous_mtbf(self) -> float:
        """1 / rho(T): the MTBF of the configuration at the end of the test."""
        return 1.0 / self.intensity(self.end_time)

    def intensity(self, t: float) -> float:
        return self.lam * self.beta * t ** (self.beta - 1.0)

    def expected_failures(self, t: float) -> float:
        return self.lam * t**self.beta


def fit_failure_times(times: Sequence[float], counts: Sequence[int] | None = None,
                      end_time: float | None = None) -> GrowthFit:
    """Individual failure times. Without ``end_time`` the test is failure-terminated (it ended at the last
    failure); with it, time-terminated. beta = n / sum(ln(T / t_i)), lambda = n / T**beta (the MLEs)."""
    values = np.asarray(times, dtype=float).reshape(-1)
    weights = np.ones_like(values) if counts is None else np.asarray(counts, dtype=float).reshape(-1)
    if values.size == 0 or weights.sum() == 0:
        raise BadGrowthData("failure_times", "There are no failures to analyse.")
    if np.any(values <= 0):
        raise BadGrowthData("failure_times", "Failure times must be positive cumulative times.")
    last = float(values.max())
    if end_time is not None and end_time < last:
        raise BadGrowthData("end_time", f"The test cannot end ({end_time:g}) before its last failure ({last:g}).")
    end = last if end_time is None else float(end_time)
    n = float(weights.sum())
    with np.errstate(over="ignore", divide="ignore"):
        total_log = float(weights @ np.log(end / values))
    if total_log <= 0.0:
        raise BadGrowthData("failure_times", "Every failure is at the end of the test; growth cannot be estimated.")
    beta = n / total_log
    return _finite(GrowthFit(beta=beta, lam=_lam(n, end, beta), failures=int(round(n)), end_time=end,
                             terminated="failure" if end_time is None else "time"), "failure_times")


def _lam(n: float, end: float, beta: float) -> float:
    try:
        return n / end**beta
    except (OverflowError, ZeroDivisionError):
        return math.nan


def _finite(fit: GrowthFit, field: str) -> GrowthFit:
    """A fit whose figures a double cannot hold (times spanning hundreds of orders of magnitude) is refused."""
    try:
        figures = (fit.beta, fit.lam, fit.cumulative_mtbf, fit.instantaneous_mtbf)
    except (OverflowError, ZeroDivisionError):
        figures = (math.nan,)
    if not all(math.isfinite(x) and x > 0 for x in figures):
        raise BadGrowthData(field, "The times span too wide a range for a growth fit.")
    return fit


def fit_grouped(ends: Sequence[float], failures: Sequence[int]) -> GrowthFit:
    """Grouped data: ``failures[i]`` failures in (ends[i-1], ends[i]], ends increasing from 0.

    beta solves sum n_i [(T_i^b ln T_i - T_{i-1}^b ln T_{i-1}) / (T_i^b - T_{i-1}^b) - ln T_k] = 0
    (Crow; MIL-HDBK-189C); lambda = n / T_k**beta. Times are scaled by T_k so the powers cannot overflow.
    """
    t = np.asarray(ends, dtype=float).reshape(-1)
    n_i = np.asarray(failures, dtype=float).reshape(-1)
    if t.size == 0 or n_i.sum() == 0:
        raise BadGrowthData("intervals", "There are no failures to analyse.")
    if np.any(t <= 0) or np.any(np.diff(t) <= 0):
        raise BadGrowthData("intervals", "Interval ends must be positive and increasing.")
    if t.size < 2:
        raise BadGrowthData("intervals", "One interval cannot show a trend; grouped data need at least two.")
    if np.any(n_i < 0):
        raise BadGrowthData("intervals", "Failure counts must not be negative.")
    x = t / t[-1]
    with np.errstate(divide="ignore", under="ignore"):
        log_x = np.log(x)
    log_prev = np.concatenate([[0.0], log_x[:-1]])
    # ln of x_{i-1} / x_i; the first interval starts at 0, where the ratio is 0 (log -inf).
    log_ratio = np.concatenate([[-np.inf], log_x[:-1] - log_x[1:]])

    def score(log_beta: float) -> float:
        # Each term divided through by x_i^b, so neither huge nor tiny powers lose it:
        # (ln x_i - r^b ln x_{i-1}) / (1 - r^b) with r = x_{i-1} / x_i < 1.
        b = math.exp(log_beta)
        with np.errstate(over="ignore", under="ignore"):
            r_b = np.exp(b * log_ratio)
            ratio = (log_x - r_b * log_prev) / -np.expm1(b * log_ratio)
        return float(n_i @ ratio)

    low, high = math.log(1e-3), math.log(1e2)
    with np.errstate(all="ignore"):
        ends = score(low), score(high)
        if not all(map(math.isfinite, ends)) or ends[0] * ends[1] > 0:
            raise BadGrowthData("intervals", "The grouped failures do not identify a growth rate.")
        try:
            log_beta = optimize.brentq(score, low, high, xtol=1e-14, rtol=1e-13)
        except ValueError as exc:
            raise BadGrowthData("intervals", "The grouped failures do not identify a growth rate.") from exc
    beta = math.exp(log_beta)
    n = float(n_i.sum())
    return _finite(GrowthFit(beta=beta, lam=_lam(n, float(t[-1]), beta), failures=int(round(n)),
                             end_time=float(t[-1]), terminated="grouped"), "intervals")
