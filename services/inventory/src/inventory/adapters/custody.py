"""Faulty parts in custody and their supplier follow-ups, in inventory's database."""
from __future__ import annotations

import abc
from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from ..domain.custody import AT_SUPPLIER, AWAITING_ENGINEER, FaultyPart, FollowUp
from .tables import faulty_parts, rma_follow_ups


class AbstractCustody(abc.ABC):
    @abc.abstractmethod
    def add(self, part: FaultyPart) -> None: ...

    @abc.abstractmethod
    def for_update(self, part_id: str) -> FaultyPart | None: ...

    @abc.abstractmethod
    def save(self, part: FaultyPart) -> None: ...

    @abc.abstractmethod
    def listed(self, site: str | None = None, status: str | None = None) -> list[FaultyPart]: ...

    @abc.abstractmethod
    def overdue(self, now: datetime, site: str | None = None) -> list[FaultyPart]:
        """Parts still with the engineer after their 6 hours, longest overdue first."""

    @abc.abstractmethod
    def add_follow_ups(self, follow_ups: list[FollowUp]) -> None: ...

    @abc.abstractmethod
    def follow_ups_of(self, part_id: str) -> list[FollowUp]: ...

    @abc.abstractmethod
    def due_follow_ups(self, now: datetime) -> list[FollowUp]:
        """Milestones due by ``now``, not fired yet, of parts still at the supplier."""

    @abc.abstractmethod
    def fire(self, follow_up: FollowUp, now: datetime) -> bool:
        """Marks the milestone fired unless it already was (a conditional update); True when this call did."""


# Built once (a repair reports its parts on every ticket); values go as execution parameters.
_INSERT_PART = insert(faulty_parts)
_PART_FOR_UPDATE = select(faulty_parts).where(faulty_parts.c.id == bindparam("id")).with_for_update()
_SAVE_PART = update(faulty_parts).where(faulty_parts.c.id == bindparam("b_id"))
_INSERT_FOLLOW_UP = insert(rma_follow_ups)


class SqlCustody(AbstractCustody):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, part):
        self.connection.execute(_INSERT_PART, vars(part))

    def for_update(self, part_id):
        row = self.connection.execute(_PART_FOR_UPDATE, {"id": part_id}).mappings().first()
        return None if row is None else FaultyPart(**row)

    def save(self, part):
        self.connection.execute(_SAVE_PART, {"b_id": part.id, **vars(part)})

    def listed(self, site=None, status=None):
        query = select(faulty_parts).order_by(faulty_parts.c.created_at, faulty_parts.c.id)
        if site is not None:
            query = query.where(faulty_parts.c.site == site)
        if status is not None:
            query = query.where(faulty_parts.c.status == status)
        return [FaultyPart(**row) for row in self.connection.execute(query).mappings()]

    def overdue(self, now, site=None):
        query = (select(faulty_parts)
                 .where(faulty_parts.c.status == AWAITING_ENGINEER, faulty_parts.c.expected_by < now)
                 .order_by(faulty_parts.c.expected_by, faulty_parts.c.id))
        if site is not None:
            query = query.where(faulty_parts.c.site == site)
        return [FaultyPart(**row) for row in self.connection.execute(query).mappings()]

    def add_follow_ups(self, follow_ups):
        if follow_ups:
            self.connection.execute(_INSERT_FOLLOW_UP, [vars(f) for f in follow_ups])

    def follow_ups_of(self, part_id):
        rows = self.connection.execute(
            select(rma_follow_ups).where(rma_follow_ups.c.faulty_part_id == part_id)
            .order_by(rma_follow_ups.c.day)).mappings()
        return [FollowUp(**row) for row in rows]

    def due_follow_ups(self, now):
        rows = self.connection.execute(
            select(rma_follow_ups)
            .join(faulty_parts, faulty_parts.c.id == rma_follow_ups.c.faulty_part_id)
            .where(rma_follow_ups.c.fired_at.is_(None), rma_follow_ups.c.due_at <= now,
                   faulty_parts.c.status == AT_SUPPLIER)
            .order_by(rma_follow_ups.c.due_at, rma_follow_ups.c.faulty_part_id)).mappings()
        return [FollowUp(**row) for row in rows]

    def fire(self, follow_up, now):
        result = self.connection.execute(
            update(rma_follow_ups)
            .where(rma_follow_ups.c.faulty_part_id == follow_up.faulty_part_id,
                   rma_follow_ups.c.day == follow_up.day, rma_follow_ups.c.fired_at.is_(None))
            .values(fired_at=now))
        return result.rowcount == 1
