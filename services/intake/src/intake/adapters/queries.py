"""What the desk looks up: customers, units, tickets by site/region/state/priority with keyset paging."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, or_, select

from .tables import customers, tickets, units

SORTS = {"created_at": tickets.c.created_at, "resolve_by": tickets.c.resolve_by}
_SUMMARY = (tickets.c.id, tickets.c.ticket_no, tickets.c.state, tickets.c.site, tickets.c.region,
            tickets.c.priority, tickets.c.customer_id, tickets.c.product_serial, tickets.c.warranty_status,
            tickets.c.resolve_by, tickets.c.created_at, tickets.c.escalation_deadline, tickets.c.repeat_of)


@dataclass(frozen=True)
class TicketFilter:
    site: str | None = None
    region: str | None = None
    state: str | None = None
    priority: str | None = None
    customer_id: str | None = None
    resolve_before: datetime | None = None


def find_tickets(connection: Connection, where: TicketFilter, sort: str, descending: bool, limit: int,
                 after: tuple[datetime, str] | None) -> list[dict]:
    """One page, ordered by (sort key, id): the next page starts after the last row seen, so a ticket
    inserted meanwhile neither shifts nor repeats what is shown (keyset, not offset)."""
    key = SORTS[sort]
    query = select(*_SUMMARY)
    for column, value in ((tickets.c.site, where.site), (tickets.c.region, where.region),
                          (tickets.c.state, where.state), (tickets.c.priority, where.priority),
                          (tickets.c.customer_id, where.customer_id)):
        if value is not None:
            query = query.where(column == value)
    if where.resolve_before is not None:
        query = query.where(tickets.c.resolve_by < where.resolve_before)
    if after is not None:
        value, last_id = after
        beyond = (key < value, and_(key == value, tickets.c.id < last_id)) if descending else (
            key > value, and_(key == value, tickets.c.id > last_id))
        query = query.where(or_(*beyond))
    order = (key.desc(), tickets.c.id.desc()) if descending else (key.asc(), tickets.c.id.asc())
    return [dict(row) for row in connection.execute(query.order_by(*order).limit(limit)).mappings()]


def find_customers(connection: Connection, phone: str | None, name: str | None, limit: int = 50) -> list[dict]:
    query = select(customers)
    if phone:
        query = query.where(customers.c.phone == phone)
    if name:
        query = query.where(customers.c.name.ilike(f"%{_escaped(name)}%", escape="\\"))
    return [dict(r) for r in connection.execute(query.order_by(customers.c.name, customers.c.id).limit(limit))
            .mappings()]


def customer(connection: Connection, customer_id: str) -> dict | None:
    row = connection.execute(select(customers).where(customers.c.id == customer_id)).mappings().first()
    return None if row is None else dict(row)


def units_of(connection: Connection, customer_id: str) -> list[dict]:
    return [dict(r) for r in connection.execute(
        select(units).where(units.c.customer_id == customer_id).order_by(units.c.serial)).mappings()]


def unit(connection: Connection, serial: str) -> dict | None:
    row = connection.execute(select(units).where(units.c.serial == serial)).mappings().first()
    return None if row is None else dict(row)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
