"""Read side: reliability figures and failure reports, straight from the repositories."""
from __future__ import annotations

from datetime import date

from ..domain.failures import FailureRecord
from ..domain.reliability import WeibullReport, weibull_report
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
