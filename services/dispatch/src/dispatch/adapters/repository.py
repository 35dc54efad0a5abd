"""Engineers, work orders, their history and clocks, site calendars and parts reports, in dispatch's database."""
from __future__ import annotations

import abc
import hashlib
from datetime import date, datetime, time

from sqlalchemy import Connection, insert, or_, select, update

from ..domain.engineers import AVAILABLE, Engineer
from ..domain.sla import ALWAYS_OPEN, ClockState, WorkingCalendar
from ..domain.work_orders import (
    AWAITING_QUOTE, TERMINAL, Completion, Failure, PartsReport, PartUsed, Product, Sla, Transition, WorkOrder,
)
from . import statements as sql
from .statements import WITH_PARTS as _WITH_PARTS
from .tables import engineers, site_calendars, sla_clocks, work_orders

OPEN = ~work_orders.c.status.in_([*TERMINAL, AWAITING_QUOTE])


class AbstractEngineerRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, engineer: Engineer) -> None: ...

    @abc.abstractmethod
    def get(self, engineer_id: str, for_update: bool = False) -> Engineer | None: ...

    @abc.abstractmethod
    def list(self, site: str | None = None) -> list[Engineer]:
        """Ordered by engineer_id."""

    @abc.abstractmethod
    def save(self, engineer: Engineer) -> None:
        """Status and shift; the load changes only through change_load."""

    @abc.abstractmethod
    def candidates(self, skill: str, *, site: str | None = None, region: str | None = None,
                   limit: int = 50) -> list[Engineer]:
        """Available engineers with the skill at the site (or in the region) below the maximum load,
        lightest first, from an index: never a scan of every engineer."""

    @abc.abstractmethod
    def on_shift_work(self, limit: int = 1000) -> list[Engineer]:
        """Available engineers with shift hours and open jobs: who may have to hand work over at shift end."""

    @abc.abstractmethod
    def take_slot(self, engineer_id: str) -> bool:
        """One more open job, if the engineer is still available and below the maximum load (checked and
        changed in one statement, so two consumers cannot both take the last slot)."""

    @abc.abstractmethod
    def change_load(self, engineer_id: str, delta: int) -> None:
        """Relative, so concurrent writers add up instead of overwriting each other."""

    @abc.abstractmethod
    def fixes(self, symptom_code: str | None, engineer_ids: list[str]) -> dict[str, int]: ...

    @abc.abstractmethod
    def record_fix(self, engineer_id: str, symptom_code: str) -> None: ...


class AbstractWorkOrderRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, work_order: WorkOrder) -> None:
        """Inserts it with its pending transitions."""

    @abc.abstractmethod
    def get(self, work_order_id: str, for_update: bool = False) -> WorkOrder | None: ...

    @abc.abstractmethod
    def for_ticket(self, ticket_id: str, for_update: bool = False) -> WorkOrder | None: ...

    @abc.abstractmethod
    def list(self, *, ticket_id: str | None = None, site: str | None = None, status: str | None = None,
             engineer_id: str | None = None, limit: int = 100) -> list[WorkOrder]:
        """Oldest ticket first."""

    @abc.abstractmethod
    def needing_engineer(self, *, site: str | None = None, region: str | None = None,
                         limit: int = 200) -> list[WorkOrder]:
        """Open work orders without an engineer, oldest ticket first: who waited longest is served first."""

    def unassigned_at(self, site: str) -> list[WorkOrder]:
        return self.needing_engineer(site=site)

    @abc.abstractmethod
    def open_of_engineer(self, engineer_id: str) -> list[WorkOrder]: ...

    @abc.abstractmethod
    def open_at(self, site: str, limit: int = 1000) -> list[WorkOrder]: ...

    @abc.abstractmethod
    def save(self, work_order: WorkOrder) -> bool:
        """Writes the work order and its pending transitions if nobody saved it since it was read (its
        version); False when someone did: the caller lost a race and must not emit."""

    def save_assignment(self, work_order: WorkOrder) -> bool:
        return self.save(work_order)

    def save_completion(self, work_order: WorkOrder) -> bool:
        return self.save(work_order)

    @abc.abstractmethod
    def history(self, work_order_id: str) -> list[Transition]: ...

    @abc.abstractmethod
    def parts_report(self, ticket_id: str) -> PartsReport | None: ...

    @abc.abstractmethod
    def put_parts_report(self, report: PartsReport) -> None:
        """Insert, or replace the ticket's previous report."""

    @abc.abstractmethod
    def ticket_facts(self, ticket_id: str) -> dict: ...

    @abc.abstractmethod
    def put_ticket_facts(self, ticket_id: str, **facts) -> None: ...

    @abc.abstractmethod
    def lock_site(self, site: str) -> None:
        """Serialise assignment at one site until the transaction ends, so loads are counted right."""


class AbstractClockRepository(abc.ABC):
    @abc.abstractmethod
    def put(self, states: list[ClockState]) -> None:
        """Replace the derived clocks of a work order; a breach already recorded stays."""

    @abc.abstractmethod
    def due(self, now: datetime, limit: int = 500) -> list[ClockState]:
        """Unbreached clocks whose deadline has passed (running or stopped late)."""

    @abc.abstractmethod
    def mark_breached(self, work_order_id: str, clock: str, at: datetime) -> bool:
        """True only for the one caller that recorded the breach."""

    @abc.abstractmethod
    def of_site(self, site: str, *, breached: bool | None = None, limit: int = 500) -> list[dict]: ...

    @abc.abstractmethod
    def of_work_order(self, work_order_id: str) -> list[dict]: ...


class AbstractCalendarRepository(abc.ABC):
    @abc.abstractmethod
    def get(self, site: str) -> WorkingCalendar:
        """The site's calendar; every hour of every day when none was set."""

    @abc.abstractmethod
    def put(self, site: str, calendar: WorkingCalendar, at: datetime) -> None: ...


class SqlEngineerRepository(AbstractEngineerRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, engineer: Engineer) -> None:
        self.connection.execute(sql.INSERT_ENGINEER, {
            "engineer_id": engineer.engineer_id, "name": engineer.name, "site": engineer.site,
            "region": engineer.region, "skills": list(engineer.skills), "available": engineer.available,
            "registered_at": engineer.registered_at, "status": engineer.status,
            "shift_start": _hhmm(engineer.shift_start), "shift_end": _hhmm(engineer.shift_end), "load": engineer.load,
        })
        if engineer.skills:
            self.connection.execute(sql.INSERT_ENGINEER_SKILLS, [
                {"engineer_id": engineer.engineer_id, "skill": skill, "site": engineer.site,
                 "region": engineer.region} for skill in engineer.skills])

    def get(self, engineer_id: str, for_update: bool = False) -> Engineer | None:
        query = sql.ENGINEER_BY_ID_LOCKED if for_update else sql.ENGINEER_BY_ID
        row = self.connection.execute(query, {"b_engineer_id": engineer_id}).mappings().first()
        return None if row is None else _engineer(row)

    def list(self, site: str | None = None) -> list[Engineer]:
        query = select(engineers).order_by(engineers.c.engineer_id)
        if site is not None:
            query = query.where(engineers.c.site == site)
        return [_engineer(row) for row in self.connection.execute(query).mappings()]

    def save(self, engineer: Engineer) -> None:
        self.connection.execute(sql.UPDATE_ENGINEER, {
            "b_engineer_id": engineer.engineer_id, "status": engineer.status, "available": engineer.available,
            "shift_start": _hhmm(engineer.shift_start), "shift_end": _hhmm(engineer.shift_end)})

    def candidates(self, skill, *, site=None, region=None, limit=50) -> list[Engineer]:
        query = sql.candidates(site is not None, limit)
        rows = self.connection.execute(query, {"b_skill": skill, "b_scope": site if site is not None else region})
        return [_engineer(row) for row in rows.mappings()]

    def on_shift_work(self, limit: int = 1000) -> list[Engineer]:
        query = select(engineers).where(engineers.c.status == AVAILABLE, engineers.c.load > 0,
                                        engineers.c.shift_start.isnot(None)).order_by(engineers.c.engineer_id)
        return [_engineer(row) for row in self.connection.execute(query.limit(limit)).mappings()]

    def take_slot(self, engineer_id: str) -> bool:
        return self.connection.execute(sql.TAKE_SLOT, {"b_engineer_id": engineer_id}).rowcount == 1

    def change_load(self, engineer_id: str, delta: int) -> None:
        self.connection.execute(sql.change_load(self.connection.dialect.name),
                                {"b_engineer_id": engineer_id, "b_delta": delta})

    def fixes(self, symptom_code, engineer_ids) -> dict[str, int]:
        if not symptom_code or not engineer_ids:
            return {}
        rows = self.connection.execute(sql.FIXES, {"b_symptom_code": symptom_code,
                                                   "b_engineer_ids": list(engineer_ids)})
        return dict(rows.all())

    def record_fix(self, engineer_id: str, symptom_code: str) -> None:
        done = self.connection.execute(sql.ADD_FIX, {"b_engineer_id": engineer_id,
                                                     "b_symptom_code": symptom_code}).rowcount
        if not done:
            self.connection.execute(sql.INSERT_FIX, {"engineer_id": engineer_id, "symptom_code": symptom_code,
                                                     "fixes": 1})


_OLDEST_FIRST = (work_orders.c.ticket_created_at, work_orders.c.created_at, work_orders.c.id)


class SqlWorkOrderRepository(AbstractWorkOrderRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, work_order: WorkOrder) -> None:
        self.connection.execute(sql.INSERT_WORK_ORDER, _row(work_order))
        self._record(work_order)

    def get(self, work_order_id: str, for_update: bool = False) -> WorkOrder | None:
        query = sql.WORK_ORDER_BY_ID_LOCKED if for_update else sql.WORK_ORDER_BY_ID
        return self._first(query, {"b_id": work_order_id})

    def for_ticket(self, ticket_id: str, for_update: bool = False) -> WorkOrder | None:
        query = sql.WORK_ORDER_BY_TICKET_LOCKED if for_update else sql.WORK_ORDER_BY_TICKET
        return self._first(query, {"b_ticket_id": ticket_id})

    def list(self, *, ticket_id=None, site=None, status=None, engineer_id=None, limit=100) -> list[WorkOrder]:
        query = _WITH_PARTS.order_by(*_OLDEST_FIRST).limit(limit)
        for column, value in ((work_orders.c.ticket_id, ticket_id), (work_orders.c.site, site),
                              (work_orders.c.status, status), (work_orders.c.engineer_id, engineer_id)):
            if value is not None:
                query = query.where(column == value)
        return self._all(query)

    def needing_engineer(self, *, site=None, region=None, limit=200) -> list[WorkOrder]:
        scope = work_orders.c.site == site if site is not None else work_orders.c.region == region
        return self._all(_WITH_PARTS.where(scope, work_orders.c.engineer_id.is_(None), OPEN)
                         .order_by(*_OLDEST_FIRST).limit(limit))

    def open_of_engineer(self, engineer_id: str) -> list[WorkOrder]:
        return self._all(_WITH_PARTS.where(work_orders.c.engineer_id == engineer_id, OPEN)
                         .order_by(*_OLDEST_FIRST))

    def open_at(self, site: str, limit: int = 1000) -> list[WorkOrder]:
        return self._all(_WITH_PARTS.where(work_orders.c.site == site, OPEN).order_by(*_OLDEST_FIRST).limit(limit))

    def save(self, work_order: WorkOrder) -> bool:
        values = _row(work_order)
        del values["id"]
        values.update(version=work_order.version + 1, b_id=work_order.id, b_version=work_order.version)
        saved = self.connection.execute(sql.SAVE_WORK_ORDER, values).rowcount == 1
        if saved:
            work_order.version += 1
            self._record(work_order)
        return saved

    def history(self, work_order_id: str) -> list[Transition]:
        rows = self.connection.execute(sql.HISTORY, {"b_id": work_order_id}).mappings()
        return [Transition(r["work_order_id"], r["at"], r["action"], r["from_status"], r["to_status"],
                           r["engineer_id"], r["reason"]) for r in rows]

    def _record(self, work_order: WorkOrder) -> None:
        if work_order.pending:
            self.connection.execute(sql.INSERT_TRANSITIONS, [
                {"work_order_id": t.work_order_id, "at": t.at, "action": t.action, "from_status": t.from_status,
                 "to_status": t.to_status, "engineer_id": t.engineer_id, "reason": t.reason}
                for t in work_order.pending])
            work_order.pending.clear()

    def parts_report(self, ticket_id: str) -> PartsReport | None:
        row = self.connection.execute(sql.PARTS_REPORT, {"b_ticket_id": ticket_id}).mappings().first()
        if row is None:
            return None
        return PartsReport(row["ticket_id"], row["status"], row["reservation_id"], row["reported_at"])

    def put_parts_report(self, report: PartsReport) -> None:
        values = {"status": report.status, "reservation_id": report.reservation_id, "reported_at": report.reported_at}
        replaced = self.connection.execute(sql.UPDATE_PARTS_REPORT, {"b_ticket_id": report.ticket_id, **values}
                                           ).rowcount
        if not replaced:
            self.connection.execute(sql.INSERT_PARTS_REPORT, {"ticket_id": report.ticket_id, **values})

    def ticket_facts(self, ticket_id: str) -> dict:
        row = self.connection.execute(sql.TICKET_FACTS, {"b_ticket_id": ticket_id}).mappings().first()
        return dict(row) if row else {}

    def put_ticket_facts(self, ticket_id: str, **facts) -> None:
        if not self.connection.execute(sql.UPDATE_TICKET_FACTS, {"b_ticket_id": ticket_id, **facts}).rowcount:
            self.connection.execute(sql.INSERT_TICKET_FACTS, {"ticket_id": ticket_id, **facts})

    def lock_site(self, site: str) -> None:
        # SQLite needs nothing: every write transaction there starts with BEGIN IMMEDIATE and runs alone.
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(sql.LOCK_SITE, {"key": _site_lock_key(site)})

    def _first(self, query, params: dict) -> WorkOrder | None:
        row = self.connection.execute(query, params).mappings().first()
        return None if row is None else _work_order(row)

    def _all(self, query) -> list[WorkOrder]:
        return [_work_order(row) for row in self.connection.execute(query).mappings()]


class SqlClockRepository(AbstractClockRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def put(self, states: list[ClockState]) -> None:
        if not states:
            return
        self.connection.execute(sql.upsert_clocks(self.connection.dialect.name), [
            {"work_order_id": state.work_order_id, "clock": state.clock,
             **{name: getattr(state, name) for name in sql.CLOCK_COLUMNS}} for state in states])

    def due(self, now: datetime, limit: int = 500) -> list[ClockState]:
        rows = self.connection.execute(
            select(sla_clocks).where(
                sla_clocks.c.breached_at.is_(None), sla_clocks.c.deadline <= now,
                or_(sla_clocks.c.stopped_at.is_(None), sla_clocks.c.stopped_at > sla_clocks.c.deadline),
            ).order_by(sla_clocks.c.deadline).limit(limit)).mappings()
        return [ClockState(r["work_order_id"], r["ticket_id"], r["site"], r["region"], r["clock"], r["started_at"],
                           r["deadline"], r["stopped_at"], r["paused"]) for r in rows]

    def mark_breached(self, work_order_id: str, clock: str, at: datetime) -> bool:
        return self.connection.execute(sql.MARK_BREACHED, {
            "b_work_order_id": work_order_id, "b_clock": clock, "breached_at": at}).rowcount == 1

    def of_site(self, site, *, breached=None, limit=500) -> list[dict]:
        query = select(sla_clocks).where(sla_clocks.c.site == site)
        if breached is not None:
            query = query.where(sla_clocks.c.breached_at.isnot(None) if breached else sla_clocks.c.breached_at.is_(None))
        query = query.order_by(sla_clocks.c.deadline, sla_clocks.c.work_order_id, sla_clocks.c.clock).limit(limit)
        return [dict(row) for row in self.connection.execute(query).mappings()]

    def of_work_order(self, work_order_id: str) -> list[dict]:
        rows = self.connection.execute(sql.CLOCKS_OF_WORK_ORDER, {"b_work_order_id": work_order_id})
        return [dict(row) for row in rows.mappings()]


class SqlCalendarRepository(AbstractCalendarRepository):
    def __init__(self, connection: Connection):
        self.connection = connection
        self._read: dict[str, WorkingCalendar] = {}  # within one transaction a calendar is read once

    def get(self, site: str) -> WorkingCalendar:
        if site not in self._read:
            row = self.connection.execute(sql.CALENDAR, {"b_site": site}).mappings().first()
            self._read[site] = ALWAYS_OPEN if row is None else WorkingCalendar(
                row["time_zone"], {day: tuple(span) for day, span in row["hours"].items()},
                frozenset(date.fromisoformat(d) for d in row["holidays"]))
        return self._read[site]

    def put(self, site: str, calendar: WorkingCalendar, at: datetime) -> None:
        self._read[site] = calendar
        values = {"time_zone": calendar.time_zone, "hours": {d: list(s) for d, s in calendar.hours.items()},
                  "holidays": sorted(d.isoformat() for d in calendar.holidays), "updated_at": at}
        if not self.connection.execute(update(site_calendars).where(site_calendars.c.site == site)
                                       .values(**values)).rowcount:
            self.connection.execute(insert(site_calendars).values(site=site, **values))


def _site_lock_key(site: str) -> int:
    digest = hashlib.sha256(f"dispatch.site:{site}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _hhmm(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _engineer(row) -> Engineer:
    return Engineer(
        engineer_id=row["engineer_id"], name=row["name"], site=row["site"], region=row["region"],
        skills=tuple(row["skills"]), status=row["status"], registered_at=row["registered_at"],
        shift_start=_time(row["shift_start"]), shift_end=_time(row["shift_end"]), load=row["load"],
    )


def _row(work_order: WorkOrder) -> dict:
    product, sla = work_order.product, work_order.sla
    return {
        "id": work_order.id, "ticket_id": work_order.ticket_id, "site": work_order.site,
        "region": work_order.region, "service_type": work_order.service_type, "priority": work_order.priority,
        "product_model": product.model, "product_serial": product.serial, "product_category": product.category,
        "purchase_date": product.purchase_date, "batch": product.batch,
        "warranty_status": work_order.warranty_status, "respond_by": sla.respond_by, "resolve_by": sla.resolve_by,
        "ticket_created_at": work_order.ticket_created_at, "created_at": work_order.created_at,
        "status": work_order.status, "engineer_id": work_order.engineer_id,
        "dispatched_at": work_order.dispatched_at, "completed_at": work_order.completed_at,
        **{name: getattr(work_order, name) for name in _PLAIN_COLUMNS},
        "on_site_at": work_order.arrived_at, "declined_by": list(work_order.declined_by),
        **_completion_columns(work_order.completion),
    }


_PLAIN_COLUMNS = ("symptom_code", "parts_expected", "quote_required", "repeat_of", "accepted_at", "resume_status",
                  "assigned_at", "engineer_accepted_at", "departed_at", "received_at", "assignment_score",
                  "assignment_reason", "unassigned_reason", "end_reason", "travel_km")


def _completion_columns(completion: Completion | None) -> dict:
    if completion is None:
        return {}
    failure = completion.failure
    return {
        "outcome": completion.outcome,
        "labour_minutes": completion.labour_minutes,
        "parts_used": [
            {"part_no": p.part_no, "qty": p.qty, "faulty_serial": p.faulty_serial, "new_serial": p.new_serial}
            for p in completion.parts_used
        ],
        "failure": {
            "symptom_code": failure.symptom_code, "failure_mode": failure.failure_mode,
            "cause_code": failure.cause_code, "failed_part_no": failure.failed_part_no,
            "description": failure.description,
        },
        "completed_warranty_status": completion.warranty_status,
        "customer_signed": completion.customer_signed,
        "arrived_at": completion.arrived_at,
        "satisfaction": completion.satisfaction,
    }


def _completion(row) -> Completion | None:
    if row["outcome"] is None:
        return None
    return Completion(
        outcome=row["outcome"], labour_minutes=row["labour_minutes"],
        parts_used=tuple(PartUsed(**part) for part in row["parts_used"]),
        failure=Failure(**row["failure"]), customer_signed=row["customer_signed"],
        warranty_status=row["completed_warranty_status"], arrived_at=row["arrived_at"],
        satisfaction=row["satisfaction"],
    )


def _work_order(row) -> WorkOrder:
    parts = None
    if row["parts_status"] is not None:
        parts = PartsReport(row["ticket_id"], row["parts_status"], row["parts_reservation_id"],
                            row["parts_reported_at"])
    return WorkOrder(
        id=row["id"], ticket_id=row["ticket_id"], site=row["site"], region=row["region"],
        service_type=row["service_type"], priority=row["priority"],
        product=Product(row["product_model"], row["product_serial"], row["product_category"],
                        row["purchase_date"], row["batch"]),
        warranty_status=row["warranty_status"], sla=Sla(row["respond_by"], row["resolve_by"]),
        ticket_created_at=row["ticket_created_at"], created_at=row["created_at"],
        status=row["status"], engineer_id=row["engineer_id"], dispatched_at=row["dispatched_at"],
        completion=_completion(row), completed_at=row["completed_at"], parts=parts,
        **{name: row[name] for name in _PLAIN_COLUMNS},
        arrived_at=row["on_site_at"], declined_by=tuple(row["declined_by"] or ()), version=row["version"],
    )
