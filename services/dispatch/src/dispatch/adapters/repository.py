"""Engineers, work orders and parts reports, in dispatch's database."""
from __future__ import annotations

import abc
import hashlib

from sqlalchemy import Connection, func, insert, select, text, update

from ..domain.engineers import Engineer
from ..domain.work_orders import (
    ASSIGNED, COMPLETED, UNASSIGNED, Completion, Failure, PartsReport, PartUsed, Product, Sla, WorkOrder,
)
from .tables import engineers, parts_reports, work_orders


class AbstractEngineerRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, engineer: Engineer) -> None: ...

    @abc.abstractmethod
    def get(self, engineer_id: str) -> Engineer | None: ...

    @abc.abstractmethod
    def list(self, site: str | None = None) -> list[Engineer]:
        """Ordered by engineer_id."""


class AbstractWorkOrderRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, work_order: WorkOrder) -> None: ...

    @abc.abstractmethod
    def get(self, work_order_id: str) -> WorkOrder | None: ...

    @abc.abstractmethod
    def for_ticket(self, ticket_id: str) -> WorkOrder | None: ...

    @abc.abstractmethod
    def list(self, *, ticket_id: str | None = None, site: str | None = None, status: str | None = None,
             engineer_id: str | None = None, limit: int = 100) -> list[WorkOrder]:
        """Oldest ticket first."""

    @abc.abstractmethod
    def unassigned_at(self, site: str) -> list[WorkOrder]:
        """Oldest ticket first: who waited longest is served first."""

    @abc.abstractmethod
    def open_loads(self, engineer_ids: list[str]) -> dict[str, int]:
        """Assigned, not yet completed work orders per engineer."""

    @abc.abstractmethod
    def save_assignment(self, work_order: WorkOrder) -> bool:
        """False when the work order was no longer unassigned."""

    @abc.abstractmethod
    def save_completion(self, work_order: WorkOrder) -> bool:
        """False when the work order was completed meanwhile: the caller lost a race and must not emit."""

    @abc.abstractmethod
    def parts_report(self, ticket_id: str) -> PartsReport | None: ...

    @abc.abstractmethod
    def put_parts_report(self, report: PartsReport) -> None:
        """Insert, or replace the ticket's previous report."""

    @abc.abstractmethod
    def lock_site(self, site: str) -> None:
        """Serialise assignment at one site until the transaction ends, so loads are counted right."""


class SqlEngineerRepository(AbstractEngineerRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, engineer: Engineer) -> None:
        self.connection.execute(insert(engineers).values(
            engineer_id=engineer.engineer_id, name=engineer.name, site=engineer.site, region=engineer.region,
            skills=list(engineer.skills), available=engineer.available, registered_at=engineer.registered_at,
        ))

    def get(self, engineer_id: str) -> Engineer | None:
        row = self.connection.execute(
            select(engineers).where(engineers.c.engineer_id == engineer_id)
        ).mappings().first()
        return None if row is None else _engineer(row)

    def list(self, site: str | None = None) -> list[Engineer]:
        query = select(engineers).order_by(engineers.c.engineer_id)
        if site is not None:
            query = query.where(engineers.c.site == site)
        return [_engineer(row) for row in self.connection.execute(query).mappings()]


_WITH_PARTS = (
    select(
        work_orders,
        parts_reports.c.status.label("parts_status"),
        parts_reports.c.reservation_id.label("parts_reservation_id"),
        parts_reports.c.reported_at.label("parts_reported_at"),
    )
    .select_from(work_orders.outerjoin(parts_reports, parts_reports.c.ticket_id == work_orders.c.ticket_id))
)
_OLDEST_FIRST = (work_orders.c.ticket_created_at, work_orders.c.created_at, work_orders.c.id)


class SqlWorkOrderRepository(AbstractWorkOrderRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, work_order: WorkOrder) -> None:
        self.connection.execute(insert(work_orders).values(**_row(work_order)))

    def get(self, work_order_id: str) -> WorkOrder | None:
        return self._first(_WITH_PARTS.where(work_orders.c.id == work_order_id))

    def for_ticket(self, ticket_id: str) -> WorkOrder | None:
        return self._first(_WITH_PARTS.where(work_orders.c.ticket_id == ticket_id))

    def list(self, *, ticket_id=None, site=None, status=None, engineer_id=None, limit=100) -> list[WorkOrder]:
        query = _WITH_PARTS.order_by(*_OLDEST_FIRST).limit(limit)
        for column, value in ((work_orders.c.ticket_id, ticket_id), (work_orders.c.site, site),
                              (work_orders.c.status, status), (work_orders.c.engineer_id, engineer_id)):
            if value is not None:
                query = query.where(column == value)
        return [_work_order(row) for row in self.connection.execute(query).mappings()]

    def unassigned_at(self, site: str) -> list[WorkOrder]:
        query = _WITH_PARTS.where(work_orders.c.site == site, work_orders.c.status == UNASSIGNED)
        return [_work_order(row) for row in self.connection.execute(query.order_by(*_OLDEST_FIRST)).mappings()]

    def open_loads(self, engineer_ids: list[str]) -> dict[str, int]:
        if not engineer_ids:
            return {}
        rows = self.connection.execute(
            select(work_orders.c.engineer_id, func.count())
            .where(work_orders.c.status == ASSIGNED, work_orders.c.engineer_id.in_(engineer_ids))
            .group_by(work_orders.c.engineer_id)
        )
        return {engineer_id: count for engineer_id, count in rows}

    def save_assignment(self, work_order: WorkOrder) -> bool:
        result = self.connection.execute(
            update(work_orders)
            .where(work_orders.c.id == work_order.id, work_orders.c.status == UNASSIGNED)
            .values(status=work_order.status, engineer_id=work_order.engineer_id,
                    dispatched_at=work_order.dispatched_at)
        )
        return result.rowcount == 1

    def save_completion(self, work_order: WorkOrder) -> bool:
        # The condition is re-checked under the row lock, so of two concurrent completions only one matches.
        result = self.connection.execute(
            update(work_orders)
            .where(work_orders.c.id == work_order.id, work_orders.c.status != COMPLETED)
            .values(status=work_order.status, completed_at=work_order.completed_at,
                    **_completion_columns(work_order.completion))
        )
        return result.rowcount == 1

    def parts_report(self, ticket_id: str) -> PartsReport | None:
        row = self.connection.execute(
            select(parts_reports).where(parts_reports.c.ticket_id == ticket_id)
        ).mappings().first()
        if row is None:
            return None
        return PartsReport(row["ticket_id"], row["status"], row["reservation_id"], row["reported_at"])

    def put_parts_report(self, report: PartsReport) -> None:
        values = {"status": report.status, "reservation_id": report.reservation_id, "reported_at": report.reported_at}
        replaced = self.connection.execute(
            update(parts_reports).where(parts_reports.c.ticket_id == report.ticket_id).values(**values)
        ).rowcount
        if not replaced:
            self.connection.execute(insert(parts_reports).values(ticket_id=report.ticket_id, **values))

    def lock_site(self, site: str) -> None:
        # SQLite needs nothing: every write transaction there starts with BEGIN IMMEDIATE and runs alone.
        if self.connection.dialect.name == "postgresql":
            self.connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _site_lock_key(site)})

    def _first(self, query) -> WorkOrder | None:
        row = self.connection.execute(query).mappings().first()
        return None if row is None else _work_order(row)


def _site_lock_key(site: str) -> int:
    digest = hashlib.sha256(f"dispatch.site:{site}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _engineer(row) -> Engineer:
    return Engineer(
        engineer_id=row["engineer_id"], name=row["name"], site=row["site"], region=row["region"],
        skills=tuple(row["skills"]), available=row["available"], registered_at=row["registered_at"],
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
        **_completion_columns(work_order.completion),
    }


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
    )
