"""Did the corrective action work? Failure rates of units built before and after its effective date,
per unit-year in service, compared with an exact conditional test (the split of all failures between
the two cohorts is binomial in their exposures when the rates are equal)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from scipy import stats

SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class Cohort:
    units: int
    failures: int
    unit_years: float

    @property
    def rate(self) -> float | None:
        """Failures per unit-year."""
        return self.failures / self.unit_years if self.unit_years > 0 else None


@dataclass(frozen=True)
class Effectiveness:
    effective_date: date
    before: Cohort
    after: Cohort
    p_value: float | None
    effective: bool | None  # None: no exposure after the action yet


def compare(effective_date: date, as_of: date, units_by_purchase: Iterable[tuple[date, int]],
            failures_by_purchase: Iterable[date]) -> Effectiveness:
    """``units_by_purchase``: (purchase date, units) of the model; ``failures_by_purchase``: the purchase
    date of the unit of each failure of the problem's group."""
    units = [0, 0]
    exposure = [0.0, 0.0]
    for purchased, count in units_by_purchase:
        if purchased > as_of:
            continue
        cohort = purchased >= effective_date
        units[cohort] += count
        exposure[cohort] += count * (as_of - purchased).days / 365.25
    failures = [0, 0]
    for purchased in failures_by_purchase:
        failures[purchased >= effective_date] += 1
    before = Cohort(units[0], failures[0], exposure[0])
    after = Cohort(units[1], failures[1], exposure[1])
    if after.unit_years <= 0 or before.unit_years <= 0:
        return Effectiveness(effective_date, before, after, None, None)
    total = before.failures + after.failures
    share = after.unit_years / (after.unit_years + before.unit_years)
    p_value = float(stats.binom.cdf(after.failures, total, share)) if total else 1.0
    effective = after.rate < before.rate and p_value < SIGNIFICANCE
    return Effectiveness(effective_date, before, after, p_value, effective)
