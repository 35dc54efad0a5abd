"""Field reliability of one model: its installed base and failure reports turned into a Weibull fit."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from .weibull import FailureEvent, LifeData, NotEnoughFailures, WeibullFit, fit_weibull, unit_ages


@dataclass(frozen=True)
class FailureObservation:
    """A failing repair of one unit; the purchase date is what the repair report said, if anything."""

    serial: str
    purchase_date: date | None
    failed_on: date


@dataclass(frozen=True)
class SkippedUnits:
    """Failed units left out of the fit because their age cannot be known."""

    no_purchase_date: int = 0
    failed_before_purchase: int = 0

    @property
    def total(self) -> int:
        return self.no_purchase_date + self.failed_before_purchase


@dataclass(frozen=True)
class WeibullReport:
    model: str
    as_of: date
    fit: WeibullFit
    skipped: SkippedUnits


def life_data(
    registered: Mapping[str, date], observations: Iterable[FailureObservation], as_of: date
) -> tuple[LifeData, SkippedUnits]:
    """Ages at first failure and at ``as_of`` for every unit whose age is known.

    The installed base is the authority on purchase dates; a failed unit missing from it
    still belongs to the population when its repair report carries a purchase date.
    A unit with a failure dated before its purchase has no trustworthy age, so it is left
    out entirely rather than guessed at.
    """
    by_serial: dict[str, list[FailureObservation]] = defaultdict(list)
    for observation in observations:
        by_serial[observation.serial].append(observation)

    population = dict(registered)
    events: list[FailureEvent] = []
    no_purchase_date = failed_before_purchase = 0
    for serial, history in by_serial.items():
        purchased = registered.get(serial) or next(
            (seen.purchase_date for seen in history if seen.purchase_date is not None), None
        )
        if purchased is None:
            no_purchase_date += 1
            continue
        if any(seen.failed_on < purchased for seen in history):
            failed_before_purchase += 1
            population.pop(serial, None)
            continue
        events.extend(FailureEvent(serial, purchased, seen.failed_on) for seen in history)
    return unit_ages(population, events, as_of), SkippedUnits(no_purchase_date, failed_before_purchase)


def weibull_report(
    model: str, as_of: date, registered: Mapping[str, date], observations: Iterable[FailureObservation]
) -> WeibullReport:
    """Raises NotEnoughFailures, naming the model, when the data cannot identify both parameters."""
    ages, skipped = life_data(registered, observations, as_of)
    try:
        fit = fit_weibull(ages.failure_ages, ages.suspension_ages)
    except NotEnoughFailures as exc:
        raise NotEnoughFailures(f"model {model!r} as of {as_of.isoformat()}: {exc}") from exc
    return WeibullReport(model, as_of, fit, skipped)
