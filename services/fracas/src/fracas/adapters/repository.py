"""Tickets, failure reports with their cost, and the installed base, in FRACAS's database."""
from __future__ import annotations

import abc
from collections import Counter
from datetime import date, datetime
from functools import cache
from typing import Sequence

from sqlalchemy import Connection, and_, bindparam, or_, select, true, update

from aftersales_shared.db import dialect_insert

from ..domain.failures import (
    FAILURE_OUTCOMES, FailureCost, FailureDetail, FailureRecord, PartUsed, Product, TicketFacts, failure_day,
)
from ..domain.installed_base import InstalledUnit
from ..domain.reliability import FailureObservation
from .tables import failure_costs, failure_records, installed_counts, installed_units, reliability_versions, tickets


class AbstractTicketRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, ticket: TicketFacts) -> None: ...

    @abc.abstractmethod
    def get(self, ticket_id: str) -> TicketFacts | None: ...


class AbstractFailureRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, record: FailureRecord, unit: InstalledUnit | None = None) -> None:
        """Stores the report itself (with what the registry says of its ``unit``); cost and DOA flag are
        joined in when it is read."""

    @abc.abstractmethod
    def get(self, work_order_id: str) -> FailureRecord | None: ...

    @abc.abstractmethod
    def for_ticket(self, ticket_id: str) -> list[FailureRecord]: ...

    @abc.abstractmethod
    def add_cost(self, cost: FailureCost) -> None: ...

    @abc.abstractmethod
    def cost_of(self, work_order_id: str) -> FailureCost | None: ...

    @abc.abstractmethod
    def for_serial(self, serial: str) -> list[FailureRecord]:
        """Every repair of one unit, oldest first."""

    @abc.abstractmethod
    def set_repeat_of(self, work_order_id: str, ticket_id: str) -> None: ...

    @abc.abstractmethod
    def all_records(self, model: str | None = None) -> list[FailureRecord]:
        """Every repair (of ``model``), with the DOA flag of its ticket, oldest first."""

    @abc.abstractmethod
    def observations_for_model(self, model: str) -> list[FailureObservation]:
        """Failing repairs of units of ``model``: registered as that model, or unregistered and reported as it."""


class AbstractInstalledBaseRepository(abc.ABC):
    @abc.abstractmethod
    def register(self, units: Sequence[InstalledUnit], registered_at: datetime) -> None:
        """Adds the units; a serial already registered takes the new details."""

    @abc.abstractmethod
    def get(self, serial: str) -> InstalledUnit | None: ...

    @abc.abstractmethod
    def purchase_dates(self, model: str) -> dict[str, date]:
        """serial -> purchase date of every registered unit of ``model``."""


# Statements are built once and take their values as execution parameters: building and cache-keying
# a statement per call cost more CPU than running it.
_INSERT_TICKET = tickets.insert()
_TICKET = select(tickets).where(tickets.c.ticket_id == bindparam("ticket_id"))


class SqlTicketRepository(AbstractTicketRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, ticket: TicketFacts) -> None:
        product = ticket.product
        self.connection.execute(_INSERT_TICKET, {
            "ticket_id": ticket.ticket_id, "model": product.model, "serial": product.serial,
            "category": product.category, "purchase_date": product.purchase_date, "batch": product.batch,
            "symptom_code": ticket.symptom_code, "first_open_failure": ticket.first_open_failure,
            "created_at": ticket.created_at, "repeat_of": ticket.repeat_of,
        })

    def get(self, ticket_id: str) -> TicketFacts | None:
        row = self.connection.execute(_TICKET, {"ticket_id": ticket_id}).mappings().first()
        if row is None:
            return None
        return TicketFacts(
            ticket_id=row["ticket_id"], product=_product(row), symptom_code=row["symptom_code"],
            first_open_failure=row["first_open_failure"], created_at=row["created_at"],
            repeat_of=row["repeat_of"],
        )


_RECORD_COLUMNS = [
    *failure_records.c,
    failure_costs.c.settlement_id, failure_costs.c.currency, failure_costs.c.customer,
    failure_costs.c.manufacturer, failure_costs.c.posted_at,
    tickets.c.first_open_failure,
]
_RECORDS = (
    select(*_RECORD_COLUMNS)
    .select_from(
        failure_records
        .outerjoin(failure_costs, failure_costs.c.work_order_id == failure_records.c.work_order_id)
        .outerjoin(tickets, tickets.c.ticket_id == failure_records.c.ticket_id)
    )
    .order_by(failure_records.c.completed_at, failure_records.c.work_order_id)
)
_RECORDS_BY_WORK_ORDER = _RECORDS.where(failure_records.c.work_order_id == bindparam("work_order_id"))
_RECORDS_BY_TICKET = _RECORDS.where(failure_records.c.ticket_id == bindparam("ticket_id"))
_RECORDS_BY_SERIAL = _RECORDS.where(failure_records.c.serial == bindparam("serial"))
_RECORDS_BY_MODEL = _RECORDS.where(failure_records.c.model == bindparam("model"))
_ALL_RECORDS = _RECORDS.where(true())
_INSERT_RECORD = failure_records.insert()
_SET_REPEAT_OF = update(failure_records) \
    .where(failure_records.c.work_order_id == bindparam("b_work_order_id")) \
    .values(repeat_of=bindparam("repeat_of"))
_INSERT_COST = failure_costs.insert()
_COST = select(failure_costs).where(failure_costs.c.work_order_id == bindparam("work_order_id"))
_OBSERVATIONS = (
    select(failure_records.c.serial, failure_records.c.purchase_date, failure_records.c.completed_at)
    .select_from(failure_records.outerjoin(installed_units, installed_units.c.serial == failure_records.c.serial))
    .where(
        failure_records.c.outcome.in_(sorted(FAILURE_OUTCOMES)),
        or_(
            installed_units.c.model == bindparam("model"),
            and_(installed_units.c.serial.is_(None), failure_records.c.model == bindparam("model")),
        ),
    )
)


class SqlFailureRepository(AbstractFailureRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, record: FailureRecord, unit: InstalledUnit | None = None) -> None:
        self.connection.execute(_INSERT_RECORD, {
            **_record_row(record), "registered_model": unit and unit.model,
            "registered_purchase_date": unit and unit.purchase_date, "registered_batch": unit and unit.batch})

    def get(self, work_order_id: str) -> FailureRecord | None:
        records = self._records(_RECORDS_BY_WORK_ORDER, {"work_order_id": work_order_id})
        return records[0] if records else None

    def for_ticket(self, ticket_id: str) -> list[FailureRecord]:
        return self._records(_RECORDS_BY_TICKET, {"ticket_id": ticket_id})

    def for_serial(self, serial: str) -> list[FailureRecord]:
        return self._records(_RECORDS_BY_SERIAL, {"serial": serial})

    def set_repeat_of(self, work_order_id: str, ticket_id: str) -> None:
        self.connection.execute(_SET_REPEAT_OF, {"b_work_order_id": work_order_id, "repeat_of": ticket_id})

    def all_records(self, model: str | None = None) -> list[FailureRecord]:
        if model is None:
            return self._records(_ALL_RECORDS, {})
        return self._records(_RECORDS_BY_MODEL, {"model": model})

    def _records(self, query, params: dict) -> list[FailureRecord]:
        return [_record(row) for row in self.connection.execute(query, params).mappings()]

    def add_cost(self, cost: FailureCost) -> None:
        self.connection.execute(_INSERT_COST, {
            "work_order_id": cost.work_order_id, "settlement_id": cost.settlement_id, "ticket_id": cost.ticket_id,
            "currency": cost.currency, "customer": cost.customer, "manufacturer": cost.manufacturer,
            "posted_at": cost.posted_at,
        })

    def cost_of(self, work_order_id: str) -> FailureCost | None:
        row = self.connection.execute(_COST, {"work_order_id": work_order_id}).mappings().first()
        return None if row is None else _cost(row)

    def observations_for_model(self, model: str) -> list[FailureObservation]:
        return [
            FailureObservation(row.serial, row.purchase_date, failure_day(row.completed_at))
            for row in self.connection.execute(_OBSERVATIONS, {"model": model})
        ]


_UNIT = select(installed_units).where(installed_units.c.serial == bindparam("serial"))
_PURCHASE_DATES = select(installed_units.c.serial, installed_units.c.purchase_date) \
    .where(installed_units.c.model == bindparam("model"))
_REGISTERED = select(installed_units.c.model, installed_units.c.purchase_date, installed_units.c.batch) \
    .where(installed_units.c.serial.in_(bindparam("serials", expanding=True)))
# Locked: a concurrent registration of the same serial waits, and then counts from our result.
_REGISTERED_LOCKED = _REGISTERED.with_for_update()
_FAILED_SERIALS = select(failure_records.c.serial) \
    .where(failure_records.c.serial.in_(bindparam("serials", expanding=True))).distinct()
_COPY_REGISTRATION = update(failure_records).where(failure_records.c.serial == bindparam("unit_serial")).values(
    registered_model=bindparam("m"), registered_purchase_date=bindparam("d"), registered_batch=bindparam("b"))


@cache
def _upsert_units(dialect_name: str):
    statement = dialect_insert(dialect_name, installed_units)
    # Safe against a concurrent registration of the same serial; rows go in serial order so two
    # overlapping registrations lock them in the same order and cannot deadlock.
    return statement.on_conflict_do_update(
        index_elements=[installed_units.c.serial],
        set_={name: statement.excluded[name]
              for name in ("model", "category", "purchase_date", "batch", "registered_at")},
    )


@cache
def _add_counts(dialect_name: str):
    counts = dialect_insert(dialect_name, installed_counts)
    return counts.on_conflict_do_update(
        index_elements=[installed_counts.c.model, installed_counts.c.purchase_date, installed_counts.c.batch],
        set_={"units": installed_counts.c.units + counts.excluded.units},
    )


class SqlInstalledBaseRepository(AbstractInstalledBaseRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def register(self, units: Sequence[InstalledUnit], registered_at: datetime) -> None:
        if not units:
            return
        dialect = self.connection.dialect.name
        serials = sorted({unit.serial for unit in units})
        deltas: Counter = Counter()
        registered = _REGISTERED_LOCKED if dialect == "postgresql" else _REGISTERED
        for chunk in _chunks(serials):
            for model, purchased, batch in self.connection.execute(registered, {"serials": chunk}):
                deltas[(model, purchased, batch or "")] -= 1
        latest = {unit.serial: unit for unit in units}
        for unit in latest.values():
            deltas[(unit.model, unit.purchase_date, unit.batch or "")] += 1
        self.connection.execute(_upsert_units(dialect), [
            {"serial": unit.serial, "model": unit.model, "category": unit.category,
             "purchase_date": unit.purchase_date, "batch": unit.batch, "registered_at": registered_at}
            for unit in sorted(units, key=lambda unit: unit.serial)
        ])
        changed = {key: delta for key, delta in deltas.items() if delta}
        if changed:
            self.connection.execute(_add_counts(dialect), [
                {"model": m, "purchase_date": d, "batch": b, "units": n} for (m, d, b), n in sorted(changed.items())])
        # Failure reports of these units learn what the registry now says of them.
        for chunk in _chunks(serials):
            failed = [row[0] for row in self.connection.execute(_FAILED_SERIALS, {"serials": chunk})]
            if failed:
                self.connection.execute(_COPY_REGISTRATION, [
                    {"unit_serial": s, "m": latest[s].model, "d": latest[s].purchase_date, "b": latest[s].batch}
                    for s in failed])

    def get(self, serial: str) -> InstalledUnit | None:
        row = self.connection.execute(_UNIT, {"serial": serial}).mappings().first()
        if row is None:
            return None
        return InstalledUnit(row["serial"], row["model"], row["category"], row["purchase_date"], row["batch"])

    def purchase_dates(self, model: str) -> dict[str, date]:
        rows = self.connection.execute(_PURCHASE_DATES, {"model": model})
        return {row.serial: row.purchase_date for row in rows}


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _product(row) -> Product:
    return Product(row["model"], row["serial"], row["category"], row["purchase_date"], row["batch"])


def _record_row(record: FailureRecord) -> dict:
    failure, product = record.failure, record.product
    return {
        "work_order_id": record.work_order_id, "ticket_id": record.ticket_id, "engineer_id": record.engineer_id,
        "outcome": record.outcome, "completed_at": record.completed_at,
        "symptom_code": failure.symptom_code, "failure_mode": failure.failure_mode,
        "cause_code": failure.cause_code, "failed_part_no": failure.failed_part_no,
        "description": failure.description,
        "model": product.model, "serial": product.serial, "category": product.category,
        "purchase_date": product.purchase_date, "batch": product.batch,
        "parts_used": [
            {"part_no": p.part_no, "qty": p.qty, "faulty_serial": p.faulty_serial, "new_serial": p.new_serial}
            for p in record.parts_used
        ],
        "warranty_status": record.warranty_status,
        "site": record.site, "region": record.region, "repeat_of": record.repeat_of,
        "relevant": record.relevant, "chargeable": record.chargeable, "failed_on": record.failed_on,
    }


def _cost(row) -> FailureCost | None:
    if row["settlement_id"] is None:
        return None
    return FailureCost(
        work_order_id=row["work_order_id"], settlement_id=row["settlement_id"], ticket_id=row["ticket_id"],
        customer=row["customer"], manufacturer=row["manufacturer"], currency=row["currency"],
        posted_at=row["posted_at"],
    )


def _record(row) -> FailureRecord:
    return FailureRecord(
        work_order_id=row["work_order_id"], ticket_id=row["ticket_id"], engineer_id=row["engineer_id"],
        outcome=row["outcome"], completed_at=row["completed_at"],
        failure=FailureDetail(row["symptom_code"], row["failure_mode"], row["cause_code"],
                              row["failed_part_no"], row["description"]),
        product=_product(row),
        parts_used=tuple(PartUsed(**part) for part in row["parts_used"]),
        warranty_status=row["warranty_status"],
        first_open_failure=row["first_open_failure"],
        cost=_cost(row),
        site=row["site"], region=row["region"], repeat_of=row["repeat_of"],
    )


class AbstractVersionRepository(abc.ABC):
    """A counter per model, bumped by whatever changes its failures or installed base."""

    @abc.abstractmethod
    def bump(self, model: str) -> None: ...

    @abc.abstractmethod
    def get(self, model: str) -> int: ...


@cache
def _bump(dialect_name: str):
    return dialect_insert(dialect_name, reliability_versions).on_conflict_do_update(
        index_elements=[reliability_versions.c.model],
        set_={"version": reliability_versions.c.version + 1})


_VERSION = select(reliability_versions.c.version).where(reliability_versions.c.model == bindparam("model"))


class SqlVersionRepository(AbstractVersionRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def bump(self, model: str) -> None:
        self.connection.execute(_bump(self.connection.dialect.name), {"model": model, "version": 1})

    def get(self, model: str) -> int:
        value = self.connection.execute(_VERSION, {"model": model}).scalar()
        return value or 0
