"""Billing's repositories: settlements, the price replica, jobs awaiting a price, flags, periods."""
from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update

from aftersales_shared.timeutil import parse_rfc3339, to_rfc3339

from ..domain.catalogue import PartPrice, is_newer, price_in_force
from ..domain.compliance import ComplianceFlag
from ..domain.settlement import CompletedJob, Settlement, SettlementLine
from .tables import (
    awaiting_parts, awaiting_settlements, compliance_flags, deposits, part_prices, periods, settlement_lines,
    settlements, statements,
)


@dataclass(frozen=True)
class AwaitingJob:
    job: CompletedJob
    waiting_for: tuple[str, ...]
    since: datetime


@dataclass(frozen=True)
class Deposit:
    deposit_id: str
    payee: str
    period: str
    amount: Decimal
    description: str
    recorded_at: datetime


class AbstractSettlementRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, settlement: Settlement) -> None: ...

    @abc.abstractmethod
    def get(self, settlement_id: str) -> Settlement | None: ...

    @abc.abstractmethod
    def for_work_order(self, work_order_id: str) -> Settlement | None: ...

    @abc.abstractmethod
    def for_ticket(self, ticket_id: str) -> list[Settlement]:
        """Oldest first."""

    @abc.abstractmethod
    def in_period(self, period: str, payee: str | None = None) -> list[Settlement]: ...

    @abc.abstractmethod
    def periods(self) -> set[str]:
        """Every month something is booked in."""


# Statements used per job are built once and take their values as execution parameters: building and
# cache-keying a statement per call cost more CPU than running it.
_INSERT_SETTLEMENT = settlements.insert()
_INSERT_LINES = settlement_lines.insert()
_SETTLEMENTS = select(settlements).order_by(settlements.c.posted_at, settlements.c.settlement_id)
_SETTLEMENT = _SETTLEMENTS.where(settlements.c.settlement_id == bindparam("settlement_id"))
_SETTLEMENT_OF_WORK_ORDER = _SETTLEMENTS.where(settlements.c.work_order_id == bindparam("work_order_id"))
_SETTLEMENTS_OF_TICKET = _SETTLEMENTS.where(settlements.c.ticket_id == bindparam("ticket_id"))
_SETTLEMENTS_IN_PERIOD = _SETTLEMENTS.where(settlements.c.period == bindparam("period"))
_SETTLEMENTS_IN_PERIOD_TO = _SETTLEMENTS.where(
    (settlements.c.period == bindparam("period")) & (settlements.c.payee == bindparam("payee")))
_LINES = select(settlement_lines) \
    .where(settlement_lines.c.settlement_id.in_(bindparam("settlement_ids", expanding=True))) \
    .order_by(settlement_lines.c.settlement_id, settlement_lines.c.line_no)


class SqlSettlementRepository(AbstractSettlementRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, settlement: Settlement) -> None:
        self.connection.execute(_INSERT_SETTLEMENT, {
            "settlement_id": settlement.settlement_id, "ticket_id": settlement.ticket_id,
            "work_order_id": settlement.work_order_id, "payee": settlement.payee,
            "warranty_status": settlement.warranty_status, "currency": settlement.currency,
            "period": settlement.period, "posted_at": settlement.posted_at, "document": settlement.document,
            "service_type": settlement.service_type, "category": settlement.category,
            "outcome": settlement.outcome, "completed_at": settlement.completed_at,
            "region": settlement.region or None,
        })
        self.connection.execute(_INSERT_LINES, [
            {"settlement_id": settlement.settlement_id, "line_no": number, "kind": line.kind,
             "description": line.description, "part_no": line.part_no, "qty": line.qty,
             "unit_amount": line.unit_amount, "amount": line.amount, "payer": line.payer}
            for number, line in enumerate(settlement.lines, start=1)
        ])

    def get(self, settlement_id: str) -> Settlement | None:
        found = self._load(_SETTLEMENT, {"settlement_id": settlement_id})
        return found[0] if found else None

    def for_work_order(self, work_order_id: str) -> Settlement | None:
        found = self._load(_SETTLEMENT_OF_WORK_ORDER, {"work_order_id": work_order_id})
        return found[0] if found else None

    def for_ticket(self, ticket_id: str) -> list[Settlement]:
        return self._load(_SETTLEMENTS_OF_TICKET, {"ticket_id": ticket_id})

    def in_period(self, period: str, payee: str | None = None) -> list[Settlement]:
        if payee is None:
            return self._load(_SETTLEMENTS_IN_PERIOD, {"period": period})
        return self._load(_SETTLEMENTS_IN_PERIOD_TO, {"period": period, "payee": payee})

    def periods(self) -> set[str]:
        return set(self.connection.execute(select(settlements.c.period).distinct()).scalars())

    def _load(self, query, params: dict) -> list[Settlement]:
        heads = self.connection.execute(query, params).mappings().all()
        if not heads:
            return []
        lines: dict[str, list[SettlementLine]] = {head["settlement_id"]: [] for head in heads}
        rows = self.connection.execute(_LINES, {"settlement_ids": list(lines)}).mappings()
        for row in rows:
            lines[row["settlement_id"]].append(SettlementLine(
                kind=row["kind"], description=row["description"], part_no=row["part_no"], qty=row["qty"],
                unit_amount=row["unit_amount"], amount=row["amount"], payer=row["payer"],
            ))
        return [
            Settlement(
                settlement_id=head["settlement_id"], ticket_id=head["ticket_id"],
                work_order_id=head["work_order_id"], payee=head["payee"],
                warranty_status=head["warranty_status"], currency=head["currency"],
                lines=tuple(lines[head["settlement_id"]]), period=head["period"], posted_at=head["posted_at"],
                document=head["document"], service_type=head["service_type"], category=head["category"],
                outcome=head["outcome"], completed_at=head["completed_at"], region=head["region"] or "",
            )
            for head in heads
        ]


class AbstractPriceRepository(abc.ABC):
    @abc.abstractmethod
    def record(self, price: PartPrice, received_at: datetime) -> bool:
        """Keeps a revision newer than any held for its part; False (nothing kept) otherwise."""

    @abc.abstractmethod
    def history(self, part_no: str) -> list[PartPrice]: ...

    @abc.abstractmethod
    def current(self) -> list[PartPrice]:
        """The highest revision of every part."""

    def in_force(self, part_nos: Iterable[str], moment: datetime) -> dict[str, PartPrice]:
        found = {}
        for part_no in part_nos:
            price = price_in_force(self.history(part_no), moment)
            if price is not None:
                found[part_no] = price
        return found


_HIGHEST_REVISION = select(func.max(part_prices.c.revision)).where(part_prices.c.part_no == bindparam("part_no"))
_INSERT_PRICE = part_prices.insert()
_HISTORY = select(part_prices).where(part_prices.c.part_no == bindparam("part_no")).order_by(part_prices.c.revision)
_HISTORIES = select(part_prices).where(part_prices.c.part_no.in_(bindparam("part_nos", expanding=True))) \
    .order_by(part_prices.c.part_no, part_prices.c.revision)
_LATEST = (select(part_prices.c.part_no, func.max(part_prices.c.revision).label("revision"))
           .group_by(part_prices.c.part_no).subquery())
_CURRENT = select(part_prices).join(_LATEST, (part_prices.c.part_no == _LATEST.c.part_no)
                                    & (part_prices.c.revision == _LATEST.c.revision)).order_by(part_prices.c.part_no)


class SqlPriceRepository(AbstractPriceRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def record(self, price: PartPrice, received_at: datetime) -> bool:
        highest = self.connection.execute(_HIGHEST_REVISION, {"part_no": price.part_no}).scalar()
        if not is_newer(price, highest):
            return False
        self.connection.execute(_INSERT_PRICE, {
            "part_no": price.part_no, "revision": price.revision, "unit_cost": price.unit_cost,
            "list_price": price.list_price, "description": price.description, "category": price.category,
            "returnable": price.returnable, "effective_at": price.effective_at, "received_at": received_at,
        })
        return True

    def history(self, part_no: str) -> list[PartPrice]:
        rows = self.connection.execute(_HISTORY, {"part_no": part_no}).mappings()
        return [_price(row) for row in rows]

    def in_force(self, part_nos: Iterable[str], moment: datetime) -> dict[str, PartPrice]:
        # One query for every part of the job rather than one per part.
        part_nos = list(part_nos)
        if not part_nos:
            return {}
        histories: dict[str, list[PartPrice]] = {part_no: [] for part_no in part_nos}
        for row in self.connection.execute(_HISTORIES, {"part_nos": sorted(set(part_nos))}).mappings():
            histories[row["part_no"]].append(_price(row))
        found = {}
        for part_no in part_nos:
            price = price_in_force(histories[part_no], moment)
            if price is not None:
                found[part_no] = price
        return found

    def current(self) -> list[PartPrice]:
        return [_price(row) for row in self.connection.execute(_CURRENT).mappings()]


def _price(row) -> PartPrice:
    return PartPrice(part_no=row["part_no"], unit_cost=row["unit_cost"], list_price=row["list_price"],
                     revision=row["revision"], effective_at=row["effective_at"], description=row["description"],
                     category=row["category"], returnable=row["returnable"])


class AbstractAwaitingRepository(abc.ABC):
    @abc.abstractmethod
    def hold(self, awaiting: AwaitingJob) -> None:
        """Holds the job, or updates what a held one waits for."""

    @abc.abstractmethod
    def get(self, work_order_id: str) -> AwaitingJob | None: ...

    @abc.abstractmethod
    def waiting_on(self, part_no: str) -> list[AwaitingJob]: ...

    @abc.abstractmethod
    def release(self, work_order_id: str) -> None: ...

    @abc.abstractmethod
    def list(self) -> list[AwaitingJob]:
        """Oldest first."""


_INSERT_AWAITING = awaiting_settlements.insert()
_INSERT_AWAITING_PARTS = awaiting_parts.insert()
_AWAITING = select(awaiting_settlements).order_by(awaiting_settlements.c.since, awaiting_settlements.c.work_order_id)
_AWAITING_WORK_ORDER = _AWAITING.where(awaiting_settlements.c.work_order_id == bindparam("work_order_id"))
_AWAITING_PART = _AWAITING.where(awaiting_settlements.c.work_order_id.in_(
    select(awaiting_parts.c.work_order_id).where(awaiting_parts.c.part_no == bindparam("part_no"))))
_AWAITED_PARTS = select(awaiting_parts) \
    .where(awaiting_parts.c.work_order_id.in_(bindparam("work_order_ids", expanding=True))) \
    .order_by(awaiting_parts.c.part_no)
# Children first: SQLite enforces no ON DELETE CASCADE unless asked to.
_RELEASE_PARTS = delete(awaiting_parts).where(awaiting_parts.c.work_order_id == bindparam("work_order_id"))
_RELEASE = delete(awaiting_settlements).where(awaiting_settlements.c.work_order_id == bindparam("work_order_id"))


class SqlAwaitingRepository(AbstractAwaitingRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def hold(self, awaiting: AwaitingJob) -> None:
        job = awaiting.job
        self.release(job.work_order_id)
        self.connection.execute(_INSERT_AWAITING, {
            "work_order_id": job.work_order_id, "ticket_id": job.ticket_id, "payee": job.payee,
            "job": json.dumps(job_to_dict(job)), "since": awaiting.since,
        })
        self.connection.execute(_INSERT_AWAITING_PARTS, [
            {"work_order_id": job.work_order_id, "part_no": part_no} for part_no in awaiting.waiting_for
        ])

    def get(self, work_order_id: str) -> AwaitingJob | None:
        found = self._load(_AWAITING_WORK_ORDER, {"work_order_id": work_order_id})
        return found[0] if found else None

    def waiting_on(self, part_no: str) -> list[AwaitingJob]:
        return self._load(_AWAITING_PART, {"part_no": part_no})

    def release(self, work_order_id: str) -> None:
        self.connection.execute(_RELEASE_PARTS, {"work_order_id": work_order_id})
        self.connection.execute(_RELEASE, {"work_order_id": work_order_id})

    def list(self) -> list[AwaitingJob]:
        return self._load(_AWAITING, {})

    def _load(self, query, params: dict) -> list[AwaitingJob]:
        heads = self.connection.execute(query, params).mappings().all()
        if not heads:
            return []
        parts: dict[str, list[str]] = {head["work_order_id"]: [] for head in heads}
        for row in self.connection.execute(_AWAITED_PARTS, {"work_order_ids": list(parts)}).mappings():
            parts[row["work_order_id"]].append(row["part_no"])
        return [AwaitingJob(job_from_dict(json.loads(head["job"])), tuple(parts[head["work_order_id"]]),
                            head["since"]) for head in heads]


def job_to_dict(job: CompletedJob) -> dict:
    return {
        "ticket_id": job.ticket_id, "work_order_id": job.work_order_id, "payee": job.payee,
        "region": job.region, "category": job.category, "service_type": job.service_type,
        "warranty_status": job.warranty_status, "labour_minutes": job.labour_minutes,
        "parts_used": [list(used) for used in job.parts_used], "completed_at": to_rfc3339(job.completed_at),
        "outcome": job.outcome, "travel_km": None if job.travel_km is None else str(job.travel_km),
        "customer_signed": job.customer_signed, "repeat_of": job.repeat_of,
    }


def job_from_dict(data: dict) -> CompletedJob:
    return CompletedJob(**{
        **data,
        "parts_used": [tuple(used) for used in data["parts_used"]],
        "completed_at": parse_rfc3339(data["completed_at"]),
        "travel_km": None if data["travel_km"] is None else Decimal(data["travel_km"]),
    })


class AbstractFlagRepository(abc.ABC):
    @abc.abstractmethod
    def raise_flag(self, flag: ComplianceFlag) -> bool:
        """False when the ticket already carries a flag of that kind."""

    @abc.abstractmethod
    def for_ticket(self, ticket_id: str) -> list[ComplianceFlag]: ...

    @abc.abstractmethod
    def repeats_of(self, ticket_id: str) -> list[ComplianceFlag]: ...

    @abc.abstractmethod
    def penalised(self, flag_id: str, settlement_id: str) -> None: ...

    @abc.abstractmethod
    def list(self) -> list[ComplianceFlag]: ...


_FLAG_OF_KIND = select(compliance_flags.c.flag_id).where(
    (compliance_flags.c.ticket_id == bindparam("ticket_id")) & (compliance_flags.c.kind == bindparam("kind")))
_INSERT_FLAG = compliance_flags.insert()
_FLAGS = select(compliance_flags).order_by(compliance_flags.c.raised_at, compliance_flags.c.flag_id)
_FLAGS_OF_TICKET = _FLAGS.where(compliance_flags.c.ticket_id == bindparam("ticket_id"))
_FLAGS_REPEATING = _FLAGS.where(compliance_flags.c.repeat_of == bindparam("ticket_id"))
_PENALISED = update(compliance_flags).where(compliance_flags.c.flag_id == bindparam("b_flag_id")) \
    .values(penalty_settlement_id=bindparam("penalty_settlement_id"))


class SqlFlagRepository(AbstractFlagRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def raise_flag(self, flag: ComplianceFlag) -> bool:
        exists = self.connection.execute(_FLAG_OF_KIND, {"ticket_id": flag.ticket_id, "kind": flag.kind}).first()
        if exists is not None:
            return False
        self.connection.execute(_INSERT_FLAG, {
            "flag_id": flag.flag_id, "ticket_id": flag.ticket_id, "kind": flag.kind, "detail": flag.detail,
            "raised_at": flag.raised_at, "repeat_of": flag.repeat_of,
            "penalty_settlement_id": flag.penalty_settlement_id,
        })
        return True

    def for_ticket(self, ticket_id: str) -> list[ComplianceFlag]:
        return self._load(_FLAGS_OF_TICKET, {"ticket_id": ticket_id})

    def repeats_of(self, ticket_id: str) -> list[ComplianceFlag]:
        return self._load(_FLAGS_REPEATING, {"ticket_id": ticket_id})

    def penalised(self, flag_id: str, settlement_id: str) -> None:
        self.connection.execute(_PENALISED, {"b_flag_id": flag_id, "penalty_settlement_id": settlement_id})

    def list(self) -> list[ComplianceFlag]:
        return self._load(_FLAGS, {})

    def _load(self, query, params: dict) -> list[ComplianceFlag]:
        return [ComplianceFlag(**row) for row in self.connection.execute(query, params).mappings()]


class AbstractPeriodRepository(abc.ABC):
    def guard(self, exclusive: bool = False) -> None:
        """Held to the end of the transaction: booking into periods (shared) against closing one (exclusive)."""

    @abc.abstractmethod
    def closed(self) -> set[str]: ...

    @abc.abstractmethod
    def close(self, period: str, at: datetime) -> bool:
        """False when it was closed already."""

    @abc.abstractmethod
    def statistics_issued(self) -> set[str]: ...

    @abc.abstractmethod
    def issue_statistics(self, period: str, at: datetime) -> bool: ...

    @abc.abstractmethod
    def issued_dates(self, column: str) -> dict[str, datetime]:
        """Period -> when its statements ("closed_at") or statistics ("statistics_issued_at") were issued."""

    @abc.abstractmethod
    def save_statement(self, payee: str, period: str, body: dict, at: datetime) -> None: ...

    @abc.abstractmethod
    def statement(self, payee: str, period: str) -> Optional[dict]: ...

    @abc.abstractmethod
    def add_deposit(self, deposit: Deposit) -> None: ...

    @abc.abstractmethod
    def deposits(self, period: str, payee: str | None = None) -> list[Deposit]: ...


# Any fixed number: the key of the advisory lock that orders bookings against the closing of a period.
_PERIOD_LOCK = 0x62696C6C
_EXCLUSIVE_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_SHARED_LOCK = text("SELECT pg_advisory_xact_lock_shared(:key)")
_CLOSED = select(periods.c.period).where(periods.c.closed_at.is_not(None))


class SqlPeriodRepository(AbstractPeriodRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def guard(self, exclusive: bool = False) -> None:
        # Without it, a job booked while its month is being closed could land in the month after its
        # statement was taken. Bookings share the lock, so they never wait for each other; SQLite
        # serialises every writing transaction anyway.
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(_EXCLUSIVE_LOCK if exclusive else _SHARED_LOCK, {"key": _PERIOD_LOCK})

    def closed(self) -> set[str]:
        return set(self.connection.execute(_CLOSED).scalars())

    def close(self, period: str, at: datetime) -> bool:
        return self._mark(period, "closed_at", at)

    def statistics_issued(self) -> set[str]:
        return set(self.connection.execute(
            select(periods.c.period).where(periods.c.statistics_issued_at.is_not(None))).scalars())

    def issue_statistics(self, period: str, at: datetime) -> bool:
        return self._mark(period, "statistics_issued_at", at)

    def _mark(self, period: str, column: str, at: datetime) -> bool:
        # Conditional update: closing (or issuing) twice, or from two processes, acts once.
        if self.connection.execute(select(periods.c.period).where(periods.c.period == period)).first() is None:
            self.connection.execute(insert(periods).values(period=period))
        done = self.connection.execute(update(periods).where(
            (periods.c.period == period) & periods.c[column].is_(None)).values({column: at}))
        return done.rowcount == 1

    def issued_dates(self, column: str) -> dict[str, datetime]:
        rows = self.connection.execute(select(periods.c.period, periods.c[column]).where(periods.c[column].is_not(None)))
        return {period: at for period, at in rows}

    def save_statement(self, payee: str, period: str, body: dict, at: datetime) -> None:
        self.connection.execute(insert(statements).values(payee=payee, period=period, body=json.dumps(body),
                                                           issued_at=at))

    def statement(self, payee: str, period: str) -> Optional[dict]:
        body = self.connection.execute(select(statements.c.body).where(
            (statements.c.payee == payee) & (statements.c.period == period))).scalar()
        return None if body is None else json.loads(body)

    def add_deposit(self, deposit: Deposit) -> None:
        self.connection.execute(insert(deposits).values(**deposit.__dict__))

    def deposits(self, period: str, payee: str | None = None) -> list[Deposit]:
        condition = deposits.c.period == period
        if payee is not None:
            condition = condition & (deposits.c.payee == payee)
        rows = self.connection.execute(select(deposits).where(condition).order_by(deposits.c.recorded_at))
        return [Deposit(**row) for row in rows.mappings()]
