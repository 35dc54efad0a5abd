"""Stock levels, receipts, reservations and completed repairs, in inventory's database."""
from __future__ import annotations

import abc
from typing import Iterable

from sqlalchemy import Connection, func, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from aftersales_shared.timeutil import utcnow

from ..domain.reservations import Reservation, ReservationLine, TicketCompletion
from ..domain.stock import StockLevel, StockReceipt, ZERO_COST
from .tables import reservation_lines, reservations, stock_levels, stock_receipts, ticket_completions


class AbstractStockRepository(abc.ABC):
    @abc.abstractmethod
    def levels_for_update(
        self, site: str, part_nos: Iterable[str], create_missing: bool = False,
    ) -> dict[str, StockLevel]:
        """Locks the levels of ``part_nos`` at ``site`` until the transaction ends, in part_no order.

        A part never received there comes back as an empty level; with ``create_missing`` it is stored first.
        """

    @abc.abstractmethod
    def save(self, level: StockLevel) -> None:
        """Writes back a level obtained from ``levels_for_update``; an empty level never stored stays unstored."""

    @abc.abstractmethod
    def get(self, site: str, part_no: str) -> StockLevel | None: ...

    @abc.abstractmethod
    def at_site(self, site: str) -> list[StockLevel]: ...

    @abc.abstractmethod
    def add_receipt(self, receipt: StockReceipt) -> None: ...


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
    def add_completion(self, completion: TicketCompletion) -> None: ...


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
        rows = self.connection.execute(
            select(stock_levels)
            .where(stock_levels.c.site == site, stock_levels.c.part_no.in_(part_nos))
            .order_by(stock_levels.c.part_no)
            .with_for_update()
        ).mappings()
        found = {row["part_no"]: _level(row) for row in rows}
        return {part_no: found.get(part_no) or StockLevel(site, part_no) for part_no in part_nos}

    def save(self, level):
        self.connection.execute(
            update(stock_levels)
            .where(stock_levels.c.site == level.site, stock_levels.c.part_no == level.part_no)
            .values(on_hand=level.on_hand, reserved=level.reserved, unit_cost=level.unit_cost, updated_at=utcnow())
        )

    def get(self, site, part_no):
        row = self.connection.execute(
            select(stock_levels).where(stock_levels.c.site == site, stock_levels.c.part_no == part_no)
        ).mappings().first()
        return None if row is None else _level(row)

    def at_site(self, site):
        rows = self.connection.execute(
            select(stock_levels).where(stock_levels.c.site == site).order_by(stock_levels.c.part_no)
        ).mappings()
        return [_level(row) for row in rows]

    def add_receipt(self, receipt):
        self.connection.execute(insert(stock_receipts).values(
            id=receipt.id, site=receipt.site, part_no=receipt.part_no, qty=receipt.qty,
            unit_cost=receipt.unit_cost, received_at=receipt.received_at,
        ))


class SqlReservationRepository(AbstractReservationRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def lock_ticket(self, ticket_id):
        # SQLite needs nothing: BEGIN IMMEDIATE lets one writer in at a time.
        if self.connection.dialect.name == "postgresql":
            key = func.hashtextextended(literal(f"inventory.ticket:{ticket_id}"), 0)
            self.connection.execute(select(func.pg_advisory_xact_lock(key)))

    def for_ticket(self, ticket_id):
        row = self.connection.execute(
            select(reservations).where(reservations.c.ticket_id == ticket_id)
        ).mappings().first()
        if row is None:
            return None
        lines = self.connection.execute(
            select(reservation_lines)
            .where(reservation_lines.c.reservation_id == row["id"])
            .order_by(reservation_lines.c.part_no)
        ).mappings()
        return Reservation(
            id=row["id"], ticket_id=row["ticket_id"], site=row["site"], status=row["status"],
            created_at=row["created_at"], consumed_at=row["consumed_at"],
            lines=[ReservationLine(line["part_no"], line["qty"], line["from_site"]) for line in lines],
        )

    def add(self, reservation):
        self.connection.execute(insert(reservations).values(
            id=reservation.id, ticket_id=reservation.ticket_id, site=reservation.site, status=reservation.status,
            created_at=reservation.created_at, consumed_at=reservation.consumed_at,
        ))
        if reservation.lines:
            self.connection.execute(insert(reservation_lines), [
                {"reservation_id": reservation.id, "part_no": line.part_no, "qty": line.qty,
                 "from_site": line.from_site}
                for line in reservation.lines
            ])

    def save(self, reservation):
        self.connection.execute(
            update(reservations)
            .where(reservations.c.id == reservation.id)
            .values(status=reservation.status, consumed_at=reservation.consumed_at)
        )

    def completion_of(self, ticket_id):
        row = self.connection.execute(
            select(ticket_completions).where(ticket_completions.c.ticket_id == ticket_id)
        ).mappings().first()
        if row is None:
            return None
        return TicketCompletion(row["ticket_id"], row["site"], row["event_id"], row["completed_at"])

    def add_completion(self, completion):
        self.connection.execute(insert(ticket_completions).values(
            ticket_id=completion.ticket_id, site=completion.site, event_id=completion.event_id,
            completed_at=completion.completed_at,
        ))


def insert_ignoring_duplicates(connection: Connection, table, rows: list[dict]) -> None:
    dialect = {"postgresql": postgresql, "sqlite": sqlite}[connection.dialect.name]
    connection.execute(dialect.insert(table).on_conflict_do_nothing(), rows)


def _level(row) -> StockLevel:
    return StockLevel(row["site"], row["part_no"], row["on_hand"], row["reserved"], row["unit_cost"])
