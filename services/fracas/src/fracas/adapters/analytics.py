"""Read models for reliability analytics, aggregated in the database: a million installed units come
back as a few thousand rows (units by purchase date, failures by unit), never one row per unit."""
from __future__ import annotations

import abc
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, Integer, case, cast, func, literal, select, tuple_

from ..domain.detection import BatchStats
from .tables import failure_records, installed_counts


@dataclass(frozen=True)
class FailedUnit:
    serial: str
    registered_purchase: date | None
    reported_purchase: date | None
    first_failure: date | None  # first relevant failure on or before as_of
    earliest_failure: date  # any relevant failure, to spot one dated before the purchase
    registered: bool


@dataclass
class LifeTable:
    """Ages with counts, ready for a weighted Weibull fit."""

    failures: Counter = field(default_factory=Counter)
    suspensions: Counter = field(default_factory=Counter)
    no_purchase_date: int = 0
    failed_before_purchase: int = 0


class AbstractAnalyticsRepository(abc.ABC):
    @abc.abstractmethod
    def units_by_purchase(self, model: str, as_of: date | None = None) -> list[tuple[date, int]]: ...

    @abc.abstractmethod
    def failed_units(self, model: str, as_of: date, part_no: str | None = None) -> list[FailedUnit]: ...

    @abc.abstractmethod
    def pareto(self, by: str, model: str | None, since: date | None, until: date | None) -> list[tuple[str, int]]: ...

    @abc.abstractmethod
    def batches(self, model: str) -> dict[str, BatchStats]: ...

    @abc.abstractmethod
    def models(self) -> list[str]: ...

    @abc.abstractmethod
    def failure_days(self, model: str, part_no: str | None = None,
                     failure_mode: str | None = None) -> list[tuple[date, date | None]]:
        """(failed on, purchase date) of each relevant chargeable failure of the group."""

    def life_table(self, model: str, as_of: date, part_no: str | None = None) -> LifeTable:
        """Ages at first failure and at ``as_of``, with the semantics of ``domain.reliability.life_data``."""
        table = LifeTable()
        registered = Counter(dict(self.units_by_purchase(model, as_of)))
        for unit in self.failed_units(model, as_of, part_no):
            purchased = unit.registered_purchase or unit.reported_purchase
            if purchased is None:
                table.no_purchase_date += 1
                continue
            if unit.earliest_failure < purchased:
                table.failed_before_purchase += 1
                if unit.registered and purchased <= as_of:
                    registered[purchased] -= 1
                continue
            if purchased > as_of:
                continue
            if unit.first_failure is not None:
                table.failures[(unit.first_failure - purchased).days] += 1
                if unit.registered:
                    registered[purchased] -= 1
            elif not unit.registered:
                table.suspensions[(as_of - purchased).days] += 1
        for purchased, count in registered.items():
            if count > 0:
                table.suspensions[(as_of - purchased).days] += count
        return table


_FR = failure_records.c
_MODEL_OF_UNIT = func.coalesce(_FR.registered_model, _FR.model)


def _belongs(model: str):
    """Failures of units registered as ``model``, or unregistered and reported as it."""
    return _MODEL_OF_UNIT == model


def _days(connection: Connection, later, earlier):
    """Whole days between two dates, in the database."""
    if connection.dialect.name == "postgresql":
        return later - earlier
    return cast(func.julianday(later) - func.julianday(earlier), Integer)


class SqlAnalyticsRepository(AbstractAnalyticsRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def units_by_purchase(self, model: str, as_of: date | None = None) -> list[tuple[date, int]]:
        c = installed_counts.c
        query = select(c.purchase_date, func.sum(c.units)).where(c.model == model, c.units > 0).group_by(c.purchase_date)
        if as_of is not None:
            query = query.where(c.purchase_date <= as_of)
        return [(row[0], int(row[1])) for row in self.connection.execute(query)]

    def failed_units(self, model: str, as_of: date, part_no: str | None = None) -> list[FailedUnit]:
        query = self._per_unit(model, as_of, part_no)
        return [FailedUnit(row.serial, row.registered_purchase, row.reported_purchase, row.first_failure,
                           row.earliest_failure, row.registered) for row in self.connection.execute(select(query))]

    def _per_unit(self, model: str, as_of: date, part_no: str | None):
        conditions = [_FR.relevant.is_(True), _belongs(model)]
        if part_no is not None:
            conditions.append(_FR.failed_part_no == part_no)
        return (
            select(_FR.serial.label("serial"),
                   func.max(_FR.registered_purchase_date).label("registered_purchase"),
                   func.min(_FR.purchase_date).label("reported_purchase"),
                   func.min(case((_FR.failed_on <= as_of, _FR.failed_on))).label("first_failure"),
                   func.min(_FR.failed_on).label("earliest_failure"),
                   (func.count(_FR.registered_model) > 0).label("registered"))
            .where(*conditions).group_by(_FR.serial).subquery("per_unit")
        )

    def life_table(self, model: str, as_of: date, part_no: str | None = None) -> LifeTable:
        """All in the database: failed units are classified and counted by age, and the registered ones
        taken off the installed counts by purchase date; a few thousand rows come back."""
        unit = self._per_unit(model, as_of, part_no)
        purchased = func.coalesce(unit.c.registered_purchase, unit.c.reported_purchase)
        kind = case(
            (purchased.is_(None), "no_purchase_date"),
            (unit.c.earliest_failure < purchased, "failed_before_purchase"),
            (purchased > as_of, "not_yet_sold"),
            (unit.c.first_failure.is_not(None), "failure"),
            else_="suspension",
        ).label("kind")
        classified = select(kind, purchased.label("purchased"), unit.c.first_failure, unit.c.registered).subquery()
        k = classified.c
        age = case((k.kind == "failure", _days(self.connection, k.first_failure, k.purchased)),
                   (k.kind == "suspension", _days(self.connection, literal(as_of), k.purchased))).label("age")
        table = LifeTable()
        removed: Counter = Counter()

        def count_ages(kind_, registered, days, count):
            if kind_ == "failure":
                table.failures[int(days)] += count
            elif kind_ == "suspension" and not registered:  # registered ones are in the installed counts
                table.suspensions[int(days)] += count
            elif kind_ == "no_purchase_date":
                table.no_purchase_date += count
            elif kind_ == "failed_before_purchase":
                table.failed_before_purchase += count

        def count_removed(kind_, registered, purchased_on, count):
            if registered and kind_ in ("failure", "failed_before_purchase") and purchased_on <= as_of:
                removed[purchased_on] += count

        if self.connection.dialect.name == "postgresql":
            # One pass over the failed units, grouped both ways at once.
            rows = self.connection.execute(
                select(k.kind, k.registered, age, k.purchased, func.count(), func.grouping(k.purchased))
                .group_by(func.grouping_sets(tuple_(k.kind, k.registered, age), tuple_(k.kind, k.registered, k.purchased))))
            for kind_, registered, days, purchased_on, count, by_age in rows:
                if by_age:
                    count_ages(kind_, registered, days, count)
                else:
                    count_removed(kind_, registered, purchased_on, count)
        else:
            for kind_, registered, days, count in self.connection.execute(
                    select(k.kind, k.registered, age, func.count()).group_by(k.kind, k.registered, age)):
                count_ages(kind_, registered, days, count)
            for kind_, registered, purchased_on, count in self.connection.execute(
                    select(k.kind, k.registered, k.purchased, func.count()).group_by(k.kind, k.registered, k.purchased)):
                count_removed(kind_, registered, purchased_on, count)
        for purchased_on, units in self.units_by_purchase(model, as_of):
            left = units - removed.get(purchased_on, 0)
            if left > 0:
                table.suspensions[(as_of - purchased_on).days] += left
        return table

    def pareto(self, by: str, model: str | None, since: date | None, until: date | None) -> list[tuple[str, int]]:
        column = {"part": _FR.failed_part_no, "failure_mode": _FR.failure_mode}[by]
        key = func.coalesce(column, "unknown")
        conditions = [_FR.relevant.is_(True)]
        if model is not None:
            conditions.append(_belongs(model))
        if since is not None:
            conditions.append(_FR.failed_on >= since)
        if until is not None:
            conditions.append(_FR.failed_on <= until)
        query = select(key, func.count()).where(*conditions).group_by(key).order_by(func.count().desc(), key)
        return [(row[0], row[1]) for row in self.connection.execute(query)]

    def batches(self, model: str) -> dict[str, BatchStats]:
        c = installed_counts.c
        batch_key = case((c.batch == "", "unknown"), else_=c.batch)
        units = {batch: int(count) for batch, count in self.connection.execute(
            select(batch_key, func.sum(c.units)).where(c.model == model).group_by(batch_key))}
        batch_of_unit = func.coalesce(_FR.registered_batch, _FR.batch, "unknown")
        groups: dict[str, dict] = defaultdict(dict)
        rows = self.connection.execute(
            select(batch_of_unit, _FR.failed_part_no, _FR.failure_mode, func.count())
            .where(_FR.chargeable.is_(True), _belongs(model))
            .group_by(batch_of_unit, _FR.failed_part_no, _FR.failure_mode))
        for batch, part_no, mode, count in rows:
            groups[batch][(part_no, mode)] = count
        return {batch: BatchStats(units.get(batch, 0), sum(groups[batch].values()), groups[batch])
                for batch in set(units) | set(groups)}

    def models(self) -> list[str]:
        query = select(_MODEL_OF_UNIT).where(_FR.chargeable.is_(True)).distinct()
        return sorted(row[0] for row in self.connection.execute(query))

    def failure_days(self, model: str, part_no: str | None = None,
                     failure_mode: str | None = None) -> list[tuple[date, date | None]]:
        conditions = [_FR.chargeable.is_(True), _belongs(model)]
        if part_no is not None:
            conditions.append(_FR.failed_part_no == part_no)
        if failure_mode is not None:
            conditions.append(_FR.failure_mode == failure_mode)
        query = (select(_FR.failed_on, func.coalesce(_FR.registered_purchase_date, _FR.purchase_date))
                 .where(*conditions).order_by(_FR.failed_on))
        return [(row[0], row[1]) for row in self.connection.execute(query)]
