"""Stock levels, receipts, reservations and completed repairs, in inventory's database."""
from __future__ import annotations

import abc
import functools
from datetime import datetime
from decimal import Decimal
from typing import Iterable

from sqlalchemy import Connection, String, bindparam, func, insert, select, update

from aftersales_shared.db import dialect_insert
from aftersales_shared.timeutil import utcnow

from ..domain.catalogue import Part
from ..domain.reports import Issue
from ..domain.reservations import BACKORDERED, Reservation, ReservationLine, TicketCompletion
from ..domain.stock import Movement, StockLevel, StockReceipt, ZERO_COST
from .tables import (
    parts, reservation_lines, reservations, stock_levels, stock_movements, stock_receipts, ticket_completions,
    ticket_signals,
)


class AbstractStockRepository(abc.ABC):
    @abc.abstractmethod
    def levels_for_update(
        self, site: str, part_nos: Iterable[str], create_missing: bool = False,
    ) -> dict[str, StockLevel]:
        """Locks the levels of ``part_nos`` at ``site`` until the transaction ends, in part_no order.

        A part never received there comes back as an empty level; with ``create_missing`` it is stored first.
        """

    @abc.abstractmethod
    def save(self, level: StockLevel, at: datetime) -> None:
        """Writes back a level obtained from ``levels_for_update`` with its new movements (stamped ``at``);
        an empty level never stored stays unstored."""

    @abc.abstractmethod
    def ledger(self, site: str, part_no: str) -> list[Movement]:
        """Every movement of the part at the site, oldest first."""

    @abc.abstractmethod
    def get(self, site: str, part_no: str) -> StockLevel | None: ...

    @abc.abstractmethod
    def at_site(self, site: str) -> list[StockLevel]: ...

    @abc.abstractmethod
    def add_receipt(self, receipt: StockReceipt) -> None: ...

    @abc.abstractmethod
    def available_elsewhere(self, sites: Iterable[str], part_nos: Iterable[str]) -> dict[str, list[StockLevel]]:
        """Levels with something available at ``sites``, by part (read without locking: a hint to lock by)."""

    @abc.abstractmethod
    def value_moved(self, site: str, since: datetime | None, until: datetime) -> dict[str, Decimal]:
        """Value the site's ledger moved between ``since`` (None: the beginning) and ``until``, by kind."""

    @abc.abstractmethod
    def issues(self, site: str, since: datetime, kinds: Iterable[str], part_no: str | None = None) -> list[Issue]:
        """What left the site's shelf since ``since`` in movements of ``kinds``, oldest first."""

    @abc.abstractmethod
    def last_issued(self, site: str, kinds: Iterable[str]) -> dict[str, datetime]: ...

    @abc.abstractmethod
    def value_at(self, site: str) -> Decimal:
        """What the stock on the site's shelves is worth at its moving-average costs."""


class AbstractReservationRepository(abc.ABC):
    @abc.abstractmethod
    def lock_ticket(self, ticket_id: str) -> None:
        """Serialises everything done for one ticket, so a TicketCreated and a RepairCompleted handled
        at the same moment cannot both decide as if the other had not happened."""

    @abc.abstractmethod
    def for_ticket(self, ticket_id: str) -> Reservation | None: ...

    @abc.abstractmethod
    def add(self, reservation: Reservation) -> None: ...

    @abc.abstractmethod
    def save(self, reservation: Reservation) -> None:
        """Writes back the status of a reservation obtained from ``for_ticket``."""

    @abc.abstractmethod
    def completion_of(self, ticket_id: str) -> TicketCompletion | None: ...

    @abc.abstractmethod
    def backordered(self, site: str, part_nos: Iterable[str] | None = None) -> list[str]:
        """Tickets backordered at ``site`` (needing any of ``part_nos``), in the order they were raised."""

    @abc.abstractmethod
    def sites_with_backorders(self) -> list[str]: ...

    @abc.abstractmethod
    def add_signal(self, ticket_id: str, kind: str, at: datetime) -> None:
        """Remembers what intake said of a ticket (once per kind), for events that come later."""

    @abc.abstractmethod
    def signals(self, ticket_id: str) -> set[str]: ...

    @abc.abstractmethod
    def add_completion(self, completion: TicketCompletion) -> None: ...


class AbstractCatalogue(abc.ABC):
    @abc.abstractmethod
    def get(self, part_no: str) -> Part | None: ...

    @abc.abstractmethod
    def for_update(self, part_no: str) -> Part | None:
        """Locks the part's entry until the transaction ends: its revisions are raised one at a time."""

    @abc.abstractmethod
    def add(self, part: Part) -> bool:
        """Stores a new entry; False when another transaction stored the part first."""

    @abc.abstractmethod
    def save(self, part: Part) -> None: ...

    @abc.abstractmethod
    def unpublished(self, limit: int = 500) -> list[str]:
        """Parts never published (entered before the catalogue was told downstream), by part number."""


# Statements on the per-ticket path are built once; values travel as execution parameters, so SQLAlchemy
# neither rebuilds them nor recomputes their cache keys on every call.
_PART = select(parts).where(parts.c.part_no == bindparam("part_no"))
_PART_FOR_UPDATE = _PART.with_for_update()
_SAVE_PART = update(parts).where(parts.c.part_no == bindparam("b_part_no"))


@functools.cache
def _add_part(dialect_name: str):
    return dialect_insert(dialect_name, parts).on_conflict_do_nothing().returning(parts.c.part_no)


class SqlCatalogue(AbstractCatalogue):
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, part_no):
        row = self.connection.execute(_PART, {"part_no": part_no}).mappings().first()
        return None if row is None else Part(**row)

    def for_update(self, part_no):
        row = self.connection.execute(_PART_FOR_UPDATE, {"part_no": part_no}).mappings().first()
        return None if row is None else Part(**row)

    def add(self, part):
        inserted = self.connection.execute(_add_part(self.connection.dialect.name), _part_row(part)).first()
        return inserted is not None

    def save(self, part):
        self.connection.execute(_SAVE_PART, {"b_part_no": part.part_no, **_part_row(part)})

    def unpublished(self, limit=500):
        return list(self.connection.execute(
            select(parts.c.part_no).where(parts.c.revision == 0).order_by(parts.c.part_no).limit(limit)).scalars())


def _part_row(part: Part) -> dict:
    return {"part_no": part.part_no, "description": part.description, "category": part.category,
            "list_price": part.list_price, "returnable": part.returnable, "superseded_by": part.superseded_by,
            "unit_cost": part.unit_cost, "received_qty": part.received_qty, "revision": part.revision,
            "updated_at": part.updated_at}


_LEVELS_FOR_UPDATE = (
    select(stock_levels)
    .where(stock_levels.c.site == bindparam("site"), stock_levels.c.part_no.in_(bindparam("part_nos", expanding=True)))
    .order_by(stock_levels.c.part_no)
    .with_for_update()
)
_SAVE_LEVEL = (
    update(stock_levels)
    .where(stock_levels.c.site == bindparam("b_site"), stock_levels.c.part_no == bindparam("b_part_no"))
    .values(on_hand=bindparam("on_hand"), reserved=bindparam("reserved"), unit_cost=bindparam("unit_cost"),
            updated_at=bindparam("updated_at"))
)
_INSERT_MOVEMENT = insert(stock_movements)
_LEVEL = select(stock_levels).where(stock_levels.c.site == bindparam("site"),
                                    stock_levels.c.part_no == bindparam("part_no"))
_AVAILABLE_ELSEWHERE = (
    select(stock_levels)
    .where(stock_levels.c.site.in_(bindparam("sites", expanding=True)),
           stock_levels.c.part_no.in_(bindparam("part_nos", expanding=True)),
           stock_levels.c.on_hand > stock_levels.c.reserved)
    .order_by(stock_levels.c.site, stock_levels.c.part_no)
)
_VALUE_AT = (select(func.sum(stock_levels.c.on_hand * stock_levels.c.unit_cost))
             .where(stock_levels.c.site == bindparam("site")))
_INSERT_RECEIPT = insert(stock_receipts)


class SqlStockRepository(AbstractStockRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def levels_for_update(self, site, part_nos, create_missing=False):
        part_nos = sorted(set(part_nos))
        if not part_nos:
            return {}
        if create_missing:
            insert_ignoring_duplicates(self.connection, stock_levels, [
                {"site": site, "part_no": part_no, "on_hand": 0, "reserved": 0, "unit_cost": ZERO_COST,
                 "updated_at": utcnow()}
                for part_no in part_nos
            ])
        # Row locks taken in part_no order by every writer, so two reservations never wait on each other
        # in a cycle. SQLite ignores FOR UPDATE; there the engine's BEGIN IMMEDIATE already serialises writers.
        rows = self.connection.execute(_LEVELS_FOR_UPDATE, {"site": site, "part_nos": part_nos}).mappings()
        found = {row["part_no"]: _level(row) for row in rows}
        return {part_no: found.get(part_no) or StockLevel(site, part_no) for part_no in part_nos}

    def save(self, level, at):
        self.connection.execute(_SAVE_LEVEL, {
            "b_site": level.site, "b_part_no": level.part_no, "on_hand": level.on_hand, "reserved": level.reserved,
            "unit_cost": level.unit_cost, "updated_at": at,
        })
        if level.movements:
            self.connection.execute(_INSERT_MOVEMENT, [
                {"site": m.site, "part_no": m.part_no, "kind": m.kind, "on_hand_change": m.on_hand_change,
                 "reserved_change": m.reserved_change, "unit_cost": m.unit_cost, "reference": m.reference,
                 "reason": m.reason, "at": at}
                for m in level.movements
            ])
            level.movements.clear()

    def ledger(self, site, part_no):
        rows = self.connection.execute(
            select(stock_movements)
            .where(stock_movements.c.site == site, stock_movements.c.part_no == part_no)
            .order_by(stock_movements.c.id)
        ).mappings()
        return [_movement(row) for row in rows]

    def get(self, site, part_no):
        row = self.connection.execute(_LEVEL, {"site": site, "part_no": part_no}).mappings().first()
        return None if row is None else _level(row)

    def at_site(self, site):
        rows = self.connection.execute(
            select(stock_levels).where(stock_levels.c.site == site).order_by(stock_levels.c.part_no)
        ).mappings()
        return [_level(row) for row in rows]

    def available_elsewhere(self, sites, part_nos):
        sites, part_nos = list(sites), list(part_nos)
        found: dict[str, list[StockLevel]] = {}
        if not sites or not part_nos:
            return found
        rows = self.connection.execute(_AVAILABLE_ELSEWHERE, {"sites": sites, "part_nos": part_nos}).mappings()
        for row in rows:
            found.setdefault(row["part_no"], []).append(_level(row))
        return found

    def value_moved(self, site, since, until):
        query = (select(stock_movements.c.kind,
                        func.sum(stock_movements.c.on_hand_change * stock_movements.c.unit_cost))
                 .where(stock_movements.c.site == site, stock_movements.c.at < until)
                 .group_by(stock_movements.c.kind))
        if since is not None:
            query = query.where(stock_movements.c.at >= since)
        return {kind: Decimal(value or 0) for kind, value in self.connection.execute(query)}

    def issues(self, site, since, kinds, part_no=None):
        query = (select(stock_movements.c.part_no, stock_movements.c.on_hand_change, stock_movements.c.at)
                 .where(stock_movements.c.site == site, stock_movements.c.at >= since,
                        stock_movements.c.kind.in_(list(kinds)))
                 .order_by(stock_movements.c.id))
        if part_no is not None:
            query = query.where(stock_movements.c.part_no == part_no)
        return [Issue(row.part_no, -row.on_hand_change, row.at) for row in self.connection.execute(query)]

    def last_issued(self, site, kinds):
        rows = self.connection.execute(
            select(stock_movements.c.part_no, func.max(stock_movements.c.at))
            .where(stock_movements.c.site == site, stock_movements.c.kind.in_(list(kinds)))
            .group_by(stock_movements.c.part_no))
        return {part_no: at for part_no, at in rows}

    def value_at(self, site):
        value = self.connection.execute(_VALUE_AT, {"site": site}).scalar()
        return Decimal(value or 0)

    def add_receipt(self, receipt):
        self.connection.execute(_INSERT_RECEIPT, {
            "id": receipt.id, "site": receipt.site, "part_no": receipt.part_no, "qty": receipt.qty,
            "unit_cost": receipt.unit_cost, "received_at": receipt.received_at,
        })


_LOCK_TICKET = select(func.pg_advisory_xact_lock(func.hashtextextended(bindparam("key", type_=String()), 0)))
_RESERVATION_OF_TICKET = select(reservations).where(reservations.c.ticket_id == bindparam("ticket_id"))
_LINES_OF_RESERVATION = (select(reservation_lines)
                         .where(reservation_lines.c.reservation_id == bindparam("reservation_id"))
                         .order_by(reservation_lines.c.part_no))
_INSERT_RESERVATION = insert(reservations)
_INSERT_LINE = insert(reservation_lines)
_SAVE_RESERVATION = (update(reservations).where(reservations.c.id == bindparam("b_id"))
                     .values(status=bindparam("status"), consumed_at=bindparam("consumed_at"),
                             reason=bindparam("reason")))
_SAVE_LINE = (update(reservation_lines)
              .where(reservation_lines.c.reservation_id == bindparam("b_reservation_id"),
                     reservation_lines.c.part_no == bindparam("b_part_no"))
              .values(held=bindparam("held")))
_SIGNALS = select(ticket_signals.c.kind).where(ticket_signals.c.ticket_id == bindparam("ticket_id"))
_COMPLETION = select(ticket_completions).where(ticket_completions.c.ticket_id == bindparam("ticket_id"))
_INSERT_COMPLETION = insert(ticket_completions)


class SqlReservationRepository(AbstractReservationRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def lock_ticket(self, ticket_id):
        # SQLite needs nothing: BEGIN IMMEDIATE lets one writer in at a time.
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(_LOCK_TICKET, {"key": f"inventory.ticket:{ticket_id}"})

    def for_ticket(self, ticket_id):
        row = self.connection.execute(_RESERVATION_OF_TICKET, {"ticket_id": ticket_id}).mappings().first()
        if row is None:
            return None
        lines = self.connection.execute(_LINES_OF_RESERVATION, {"reservation_id": row["id"]}).mappings()
        return Reservation(
            id=row["id"], ticket_id=row["ticket_id"], site=row["site"], status=row["status"],
            created_at=row["created_at"], consumed_at=row["consumed_at"], region=row["region"],
            requested_at=row["requested_at"], reason=row["reason"],
            lines=[ReservationLine(line["part_no"], line["qty"], line["from_site"], line["held"]) for line in lines],
        )

    def add(self, reservation):
        self.connection.execute(_INSERT_RESERVATION, {
            "id": reservation.id, "ticket_id": reservation.ticket_id, "site": reservation.site,
            "status": reservation.status, "created_at": reservation.created_at,
            "consumed_at": reservation.consumed_at, "region": reservation.region,
            "requested_at": reservation.requested_at, "reason": reservation.reason,
        })
        if reservation.lines:
            self.connection.execute(_INSERT_LINE, [
                {"reservation_id": reservation.id, "part_no": line.part_no, "qty": line.qty,
                 "from_site": line.from_site, "held": line.held}
                for line in reservation.lines
            ])

    def save(self, reservation):
        self.connection.execute(_SAVE_RESERVATION, {
            "b_id": reservation.id, "status": reservation.status, "consumed_at": reservation.consumed_at,
            "reason": reservation.reason,
        })
        if reservation.lines:
            self.connection.execute(_SAVE_LINE, [
                {"b_reservation_id": reservation.id, "b_part_no": line.part_no, "held": line.held}
                for line in reservation.lines
            ])

    def backordered(self, site, part_nos=None):
        query = (select(reservations.c.ticket_id)
                 .where(reservations.c.site == site, reservations.c.status == BACKORDERED)
                 .order_by(reservations.c.requested_at, reservations.c.id))
        if part_nos is not None:
            query = query.where(reservations.c.id.in_(
                select(reservation_lines.c.reservation_id).where(reservation_lines.c.part_no.in_(list(part_nos)))))
        return list(self.connection.execute(query).scalars())

    def sites_with_backorders(self):
        return list(self.connection.execute(
            select(reservations.c.site).where(reservations.c.status == BACKORDERED).distinct()
            .order_by(reservations.c.site)).scalars())

    def add_signal(self, ticket_id, kind, at):
        insert_ignoring_duplicates(self.connection, ticket_signals, [{"ticket_id": ticket_id, "kind": kind, "at": at}])

    def signals(self, ticket_id):
        return set(self.connection.execute(_SIGNALS, {"ticket_id": ticket_id}).scalars())

    def completion_of(self, ticket_id):
        row = self.connection.execute(_COMPLETION, {"ticket_id": ticket_id}).mappings().first()
        if row is None:
            return None
        return TicketCompletion(row["ticket_id"], row["site"], row["event_id"], row["completed_at"])

    def add_completion(self, completion):
        self.connection.execute(_INSERT_COMPLETION, {
            "ticket_id": completion.ticket_id, "site": completion.site, "event_id": completion.event_id,
            "completed_at": completion.completed_at,
        })


def insert_ignoring_duplicates(connection: Connection, table, rows: list[dict]) -> None:
    connection.execute(_inserting_unless_present(connection.dialect.name, table), rows)


@functools.cache
def _inserting_unless_present(dialect_name: str, table):
    return dialect_insert(dialect_name, table).on_conflict_do_nothing()


def _movement(row) -> Movement:
    return Movement(row["site"], row["part_no"], row["kind"], row["on_hand_change"], row["reserved_change"],
                    row["unit_cost"], row["reference"], row["reason"], row["at"], row["id"])


def _level(row) -> StockLevel:
    return StockLevel(row["site"], row["part_no"], row["on_hand"], row["reserved"], row["unit_cost"])
