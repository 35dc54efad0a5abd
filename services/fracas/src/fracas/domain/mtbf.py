"""MTBF of an exponential (constant failure rate) test with chi-square confidence bounds.

Time-terminated test: lower = 2T / chi2(p, 2r + 2), upper = 2T / chi2(1 - p, 2r);
failure-terminated: 2r degrees of freedom for both (Epstein; MIL-HDBK-338B 8.3.2.5; NIST 8.4.7.1).
Here chi2(p, df) is the quantile with probability p below it, p = confidence for one-sided bounds and
1 - (1 - confidence)/2 for two-sided ones.
"""
from __future__ import annotations

from dataclasses import dataclass

from scipy import stats

TESTS = ("time_terminated", "failure_terminated")


@dataclass(frozen=True)
class MtbfEstimate:
    mtbf: float | None
    lower: float | None
    upper: float | None


def mtbf_bounds(total_time: float, failures: int, confidence: float = 0.90, sides: int = 2,
                test: str = "time_terminated") -> MtbfEstimate:
    """A one-sided request gets the lower bound only, the usual demonstration figure; ``upper`` is None
    there, and also when no failure was seen (nothing bounds the MTBF from above)."""
    if total_time <= 0:
        raise ValueError("total_time must be positive")
    if failures < 0:
        raise ValueError("failures must not be negative")
    if test not in TESTS:
        raise ValueError(f"test must be one of {TESTS}")
    if test == "failure_terminated" and failures == 0:
        raise ValueError("a failure-terminated test ends at a failure, so it has at least one")
    alpha = 1.0 - confidence
    tail = alpha / sides
    lower_df = 2 * failures + (2 if test == "time_terminated" else 0)
    lower = 2.0 * total_time / stats.chi2.ppf(1.0 - tail, lower_df)
    upper = None
    if sides == 2 and failures > 0:
        upper = 2.0 * total_time / stats.chi2.ppf(tail, 2 * failures)
    return MtbfEstimate(mtbf=total_time / failures if failures else None, lower=lower, upper=upper)
