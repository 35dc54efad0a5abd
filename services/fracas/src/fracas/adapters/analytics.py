"""Read models for reliability analytics, aggregated in the database: a million installed units come
back as a few thousand rows (units by purchase date, failures by unit), never one row per unit."""
from __future__ import annotations

import abc
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, and_, case, func, or_, select

from ..domain.detection import BatchStats
from .tables import failure_records, installed_units


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


def _belongs(model: str):
    """Failures of units registered as ``model``, or unregistered and reported as it."""
    return or_(installed_units.c.model == model,
               and_(installed_units.c.serial.is_(None), failure_records.c.model == model))


_JOINED = failure_records.outerjoin(installed_units, installed_units.c.serial == failure_records.c.serial)


class SqlAnalyticsRepository(AbstractAnalyticsRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def units_by_purchase(self, model: str, as_of: date | None = None) -> list[tuple[date, int]]:
        query = (select(installed_units.c.purchase_date, func.count())
                 .where(installed_units.c.model == model)
                 .group_by(installed_units.c.purchase_date))
        if as_of is not None:
            query = query.where(installed_units.c.purchase_date <= as_of)
        return [(row[0], row[1]) for row in self.connection.execute(query)]

    def failed_units(self, model: str, as_of: date, part_no: str | None = None) -> list[FailedUnit]:
        fr = failure_records.c
        conditions = [fr.relevant.is_(True), _belongs(model)]
        if part_no is not None:
            conditions.append(fr.failed_part_no == part_no)
        query = (
            select(fr.serial, func.max(installed_units.c.purchase_date), func.min(fr.purchase_date),
                   func.min(case((fr.failed_on <= as_of, fr.failed_on))), func.min(fr.failed_on),
                   func.count(installed_units.c.serial))
            .select_from(_JOINED).where(*conditions).group_by(fr.serial)
        )
        return [FailedUnit(row[0], row[1], row[2], row[3], row[4], row[5] > 0) for row in self.connection.execute(query)]

    def pareto(self, by: str, model: str | None, since: date | None, until: date | None) -> list[tuple[str, int]]:
        column = {"part": failure_records.c.failed_part_no, "failure_mode": failure_records.c.failure_mode}[by]
        key = func.coalesce(column, "unknown")
        conditions = [failure_records.c.relevant.is_(True)]
        if model is not None:
            conditions.append(failure_records.c.model == model)
        if since is not None:
            conditions.append(failure_records.c.failed_on >= since)
        if until is not None:
            conditions.append(failure_records.c.failed_on <= until)
        query = select(key, func.count()).where(*conditions).group_by(key).order_by(func.count().desc(), key)
        return [(row[0], row[1]) for row in self.connection.execute(query)]

    def batches(self, model: str) -> dict[str, BatchStats]:
        batch_of_unit = func.coalesce(installed_units.c.batch, failure_records.c.batch, "unknown")
        units = dict(self.connection.execute(
            select(func.coalesce(installed_units.c.batch, "unknown"), func.count())
            .where(installed_units.c.model == model).group_by(func.coalesce(installed_units.c.batch, "unknown"))
        ).all())
        groups: dict[str, dict] = defaultdict(dict)
        fr = failure_records.c
        rows = self.connection.execute(
            select(batch_of_unit, fr.failed_part_no, fr.failure_mode, func.count())
            .select_from(_JOINED).where(fr.chargeable.is_(True), _belongs(model))
            .group_by(batch_of_unit, fr.failed_part_no, fr.failure_mode)
        )
        for batch, part_no, mode, count in rows:
            groups[batch][(part_no, mode)] = count
        return {batch: BatchStats(units.get(batch, 0), sum(groups[batch].values()), groups[batch])
                for batch in set(units) | set(groups)}

    def models(self) -> list[str]:
        query = select(failure_records.c.model).where(failure_records.c.chargeable.is_(True)).distinct()
        return sorted(row[0] for row in self.connection.execute(query))

    def failure_days(self, model: str, part_no: str | None = None,
                     failure_mode: str | None = None) -> list[tuple[date, date | None]]:
        fr = failure_records.c
        conditions = [fr.chargeable.is_(True), _belongs(model)]
        if part_no is not None:
            conditions.append(fr.failed_part_no == part_no)
        if failure_mode is not None:
            conditions.append(fr.failure_mode == failure_mode)
        query = (select(fr.failed_on, func.coalesce(installed_units.c.purchase_date, fr.purchase_date))
                 .select_from(_JOINED).where(*conditions).order_by(fr.failed_on))
        return [(row[0], row[1]) for row in self.connection.execute(query)]
