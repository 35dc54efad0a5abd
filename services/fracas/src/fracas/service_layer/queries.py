"""Read side: reliability figures and failure reports, straight from the repositories."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime

from ..domain.failures import FailureRecord
from ..domain.problems import Problem
from .problem_handlers import assess
from ..domain.reliability import WeibullReport, weibull_report
from ..domain.service_quality import QualityRow, quality_rates
from .unit_of_work import FracasUnitOfWork


def weibull_for_model(model: str, as_of: date, uow: FracasUnitOfWork) -> WeibullReport:
    """Raises NotEnoughFailures when the model's history cannot support a fit."""
    with uow:
        registered = uow.installed_base.purchase_dates(model)
        observations = uow.failures.observations_for_model(model)
    return weibull_report(model, as_of, registered, observations)


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
