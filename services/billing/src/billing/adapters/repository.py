"""Settlements and their lines, in billing's database."""
from __future__ import annotations

import abc

from sqlalchemy import Connection, insert, select

from ..domain.settlement import Settlement, SettlementLine
from .tables import settlement_lines, settlements


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


class SqlSettlementRepository(AbstractSettlementRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, settlement: Settlement) -> None:
        self.connection.execute(insert(settlements).values(
            settlement_id=settlement.settlement_id, ticket_id=settlement.ticket_id,
            work_order_id=settlement.work_order_id, payee=settlement.payee,
            warranty_status=settlement.warranty_status, currency=settlement.currency,
            period=settlement.period, posted_at=settlement.posted_at,
        ))
        self.connection.execute(insert(settlement_lines), [
            {"settlement_id": settlement.settlement_id, "line_no": number, "kind": line.kind,
             "description": line.description, "part_no": line.part_no, "qty": line.qty,
             "unit_amount": line.unit_amount, "amount": line.amount, "payer": line.payer}
            for number, line in enumerate(settlement.lines, start=1)
        ])

    def get(self, settlement_id: str) -> Settlement | None:
        found = self._load(settlements.c.settlement_id == settlement_id)
        return found[0] if found else None

    def for_work_order(self, work_order_id: str) -> Settlement | None:
        found = self._load(settlements.c.work_order_id == work_order_id)
        return found[0] if found else None

    def for_ticket(self, ticket_id: str) -> list[Settlement]:
        return self._load(settlements.c.ticket_id == ticket_id)

    def _load(self, condition) -> list[Settlement]:
        heads = self.connection.execute(
            select(settlements).where(condition).order_by(settlements.c.posted_at, settlements.c.settlement_id)
        ).mappings().all()
        if not heads:
            return []
        lines: dict[str, list[SettlementLine]] = {head["settlement_id"]: [] for head in heads}
        rows = self.connection.execute(
            select(settlement_lines)
            .where(settlement_lines.c.settlement_id.in_(list(lines)))
            .order_by(settlement_lines.c.settlement_id, settlement_lines.c.line_no)
        ).mappings()
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
            )
            for head in heads
        ]
