"""Read side: reliability figures and failure reports, straight from the repositories."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from ..domain.failures import FailureRecord
from ..domain.problems import Problem
from .problem_handlers import assess
from ..adapters.analytics import LifeTable
from ..domain.reliability import SkippedUnits, WeibullReport
from ..domain.weibull import NotEnoughFailures, fit_weibull
from ..domain.field_rates import ParetoRow, pareto, unit_years
from ..domain.growth import BadGrowthData, GrowthFit, fit_failure_times
from ..domain.mtbf import mtbf_bounds
from .fit_cache import FitCache
from ..domain.service_quality import QualityRow, quality_rates
from .unit_of_work import FracasUnitOfWork


def weibull_for_model(model: str, as_of: date, uow: FracasUnitOfWork, part_no: str | None = None,
                      cache: FitCache | None = None) -> WeibullReport:
    """Raises NotEnoughFailures when the model's history cannot support a fit. With ``part_no`` only
    failures of that part count; every other unit is a suspension. Ages are aggregated in the database
    and the fit is cached until the model's data change."""
    with uow:
        version = uow.versions.get(model)

        def compute() -> WeibullReport:
            table = uow.analytics.life_table(model, as_of, part_no)
            return weibull_from_table(model if part_no is None else f"{model} / {part_no}", as_of, table)

        if cache is None:
            return compute()
        return cache.get_or_compute(("weibull", model, part_no, as_of), version, compute)


def weibull_from_table(label: str, as_of: date, table: LifeTable) -> WeibullReport:
    failures, suspensions = sorted(table.failures.items()), sorted(table.suspensions.items())
    try:
        fit = fit_weibull([age for age, _ in failures], [age for age, _ in suspensions],
                          [count for _, count in failures], [count for _, count in suspensions])
    except NotEnoughFailures as exc:
        raise NotEnoughFailures(f"model {label!r} as of {as_of.isoformat()}: {exc}") from exc
    return WeibullReport(label, as_of, fit, SkippedUnits(table.no_purchase_date, table.failed_before_purchase))


def failures_of_ticket(ticket_id: str, uow: FracasUnitOfWork) -> list[FailureRecord]:
    with uow:
        return uow.failures.for_ticket(ticket_id)


def service_quality(by: str, as_of: datetime, uow: FracasUnitOfWork) -> list[QualityRow]:
    with uow:
        records = uow.failures.all_records()
    return quality_rates(records, by, as_of)


def problems(status: str | None, model: str | None, uow: FracasUnitOfWork) -> list[Problem]:
    with uow:
        return uow.problems.list(status, model)


def problem_detail(problem_id: str, as_of: date, uow: FracasUnitOfWork) -> dict | None:
    with uow:
        problem = uow.problems.get(problem_id)
        if problem is None:
            return None
        return {**dataclasses.asdict(problem), "audit": uow.problems.trail(problem_id),
                "effectiveness": assess(problem, as_of, uow)}


def failure_pareto(by: str, model: str | None, since: date | None, until: date | None,
                   uow: FracasUnitOfWork, cache: FitCache | None = None) -> list[ParetoRow]:
    with uow:
        def compute():
            return pareto(uow.analytics.pareto(by, model, since, until))

        if cache is None or model is None:
            return compute()
        return cache.get_or_compute(("pareto", by, model, since, until), uow.versions.get(model), compute)


def batch_rates(model: str, uow: FracasUnitOfWork) -> list[dict]:
    with uow:
        batches = uow.analytics.batches(model)
    return [{"batch": name, "units": b.units, "failures": b.failures,
             "failures_per_unit": b.failures / b.units if b.units else None}
            for name, b in sorted(batches.items(), key=lambda item: (-item[1].failures, item[0]))]


def field_failure_rate(model: str, as_of: date, confidence: float, uow: FracasUnitOfWork) -> dict:
    """Relevant chargeable failures of a model's installed base per unit and per unit-year in service,
    with the MTBF (unit-years) and its chi-square bounds as for a time-terminated test."""
    with uow:
        units = uow.analytics.units_by_purchase(model, as_of)
        failures = [day for day, _ in uow.analytics.failure_days(model) if day <= as_of]
    installed = sum(count for _, count in units)
    exposure = unit_years(units, as_of)
    estimate = mtbf_bounds(exposure, len(failures), confidence, 2) if exposure > 0 else None
    return {
        "model": model, "as_of": as_of, "installed_units": installed, "failures": len(failures),
        "failures_per_unit": len(failures) / installed if installed else None,
        "unit_years": exposure, "failures_per_unit_year": len(failures) / exposure if exposure else None,
        "mtbf_unit_years": None if estimate is None else estimate.mtbf,
        "mtbf_lower": None if estimate is None else estimate.lower,
        "mtbf_upper": None if estimate is None else estimate.upper,
        "confidence": confidence,
    }


def fleet_growth(model: str, as_of: date, uow: FracasUnitOfWork) -> tuple[GrowthFit, list[float]]:
    """Crow-AMSAA over calendar time for a model's fleet: days since its first unit was sold to each
    chargeable failure, the observation time-terminated at ``as_of``. Raises BadGrowthData."""
    with uow:
        units = uow.analytics.units_by_purchase(model, as_of)
        days = [(failed_on, purchased) for failed_on, purchased in uow.analytics.failure_days(model)
                if failed_on <= as_of]
    starts = [purchased for purchased, _ in units] + [p for _, p in days if p is not None]
    if not days or not starts:
        raise BadGrowthData("model", f"model {model!r} has no failures by {as_of.isoformat()} to analyse.")
    first = min(starts)
    # Half a day in: a failure on the first day of sale is at a positive time.
    times = [(failed_on - first).days + 0.5 for failed_on, _ in days if failed_on >= first]
    end = (as_of - first).days + 1.0
    return fit_failure_times(times, end_time=end), times


def weibull_with_table(model: str, as_of: date, uow: FracasUnitOfWork,
                       part_no: str | None = None) -> tuple[LifeTable, WeibullReport]:
    with uow:
        table = uow.analytics.life_table(model, as_of, part_no)
    return table, weibull_from_table(model if part_no is None else f"{model} / {part_no}", as_of, table)
