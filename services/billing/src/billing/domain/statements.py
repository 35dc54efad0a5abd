"""Monthly statements per payee, fee statistics per site and category, and the customer's invoice.

Plain data, money as two-place strings: what is issued is stored exactly as it was read out, so a
closed period's statement never changes when the code that computes statements does.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Optional, Sequence

from aftersales_shared.vocabulary import CUSTOMER, MANUFACTURER, OUT_OF_WARRANTY, SERVICE_TYPES

from .compliance import ComplianceFlag, REPEAT_REPAIR
from .fees import to_money
from .periods import due_dates, period_of
from .settlement import JOB, PENALTY, Settlement

ZERO = Decimal("0.00")
_REPAIRED = ("repaired", "replaced", "installed")
_RATIO = Decimal("0.0001")


def _m(amount: Decimal) -> str:
    return str(to_money(amount))


def _paid_by(settlement: Settlement, payer: str, kind: str | None = None) -> Decimal:
    return sum((line.amount for line in settlement.lines if line.payer == payer and kind in (None, line.kind)), ZERO)


def _sum(settlements: Iterable[Settlement], payer: str, kind: str | None = None) -> str:
    return _m(sum((_paid_by(s, payer, kind) for s in settlements), ZERO))


@dataclass(frozen=True)
class DepositLine:
    description: str
    amount: Decimal


def statement(payee: str, period: str, currency: str, settlements: Sequence[Settlement],
              deposits: Iterable[DepositLine] = (), issued_at: Optional[datetime] = None) -> dict:
    """What the manufacturer owes one service point for one month, and how it is made up."""
    jobs = [s for s in settlements if s.document == JOB]
    penalties = [s for s in settlements if s.document == PENALTY]
    by_type: dict[str, list[Settlement]] = defaultdict(list)
    for job in jobs:
        by_type[job.service_type or "unknown"].append(job)
    fee_summary = [
        {"service_type": kind, "jobs": len(by_type[kind]), "labour": _sum(by_type[kind], MANUFACTURER, "labour"),
         "parts": _sum(by_type[kind], MANUFACTURER, "part"), "amount": _sum(by_type[kind], MANUFACTURER)}
        for kind in [*SERVICE_TYPES, *sorted(set(by_type) - set(SERVICE_TYPES))] if by_type.get(kind)
    ]
    warranty_total = sum((_paid_by(s, MANUFACTURER) for s in jobs), ZERO)
    paid = [s for s in jobs if s.warranty_status == OUT_OF_WARRANTY]
    late = [s for s in jobs if s.completed_at is not None and period_of(s.completed_at) != s.period]
    penalty_total = sum((_paid_by(s, MANUFACTURER) for s in penalties), ZERO)
    deposit_lines = list(deposits)
    deposit_total = sum((d.amount for d in deposit_lines), ZERO)
    return {
        "payee": payee,
        "period": period,
        "currency": currency,
        "status": "issued" if issued_at is not None else "open",
        "issued_at": None if issued_at is None else issued_at.isoformat().replace("+00:00", "Z"),
        "fee_summary": fee_summary,
        "warranty_total": _m(warranty_total),
        "out_of_warranty": {"jobs": len(paid), "amount": _m(sum((_paid_by(s, CUSTOMER) for s in paid), ZERO))},
        # Jobs of an earlier, already closed month: booked here as adjustments to it.
        "late_adjustments": {"jobs": len(late),
                             "amount": _m(sum((_paid_by(s, MANUFACTURER) for s in late), ZERO)),
                             "tickets": [s.ticket_id for s in late]},
        "penalties": [
            {"ticket_id": s.ticket_id, "description": line.description, "amount": _m(line.amount)}
            for s in penalties for line in s.lines
        ],
        "penalties_total": _m(penalty_total),
        "deposits": [{"description": d.description, "amount": _m(d.amount)} for d in deposit_lines],
        "deposits_total": _m(deposit_total),
        # Penalties are negative already; deposits held are the service point's debt to the manufacturer.
        "net_payable": _m(warranty_total + penalty_total - deposit_total),
    }


def statistics(period: str, settlements: Sequence[Settlement], flags: Iterable[ComplianceFlag]) -> list[dict]:
    """Fees and repair ratios per site and product category for one month."""
    repeats = {flag.ticket_id for flag in flags if flag.kind == REPEAT_REPAIR}
    groups: dict[tuple[str, str], list[Settlement]] = defaultdict(list)
    for s in settlements:
        if s.document == JOB:
            groups[(s.payee, s.category or "unknown")].append(s)
    rows = []
    for (site, category), jobs in sorted(groups.items()):
        count = len(jobs)
        repaired = sum(1 for s in jobs if s.outcome in _REPAIRED)
        repeated = sum(1 for s in jobs if s.ticket_id in repeats)
        rows.append({
            "period": period, "site": site, "category": category, "jobs": count,
            "warranty_jobs": sum(1 for s in jobs if s.warranty_status != OUT_OF_WARRANTY),
            "out_of_warranty_jobs": sum(1 for s in jobs if s.warranty_status == OUT_OF_WARRANTY),
            "fees": _m(sum((_paid_by(s, MANUFACTURER) for s in jobs), ZERO)),
            "customer_charges": _m(sum((_paid_by(s, CUSTOMER) for s in jobs), ZERO)),
            "repaired": repaired,
            "repeat_repairs": repeated,
            "repair_ratio": str((Decimal(repaired) / count).quantize(_RATIO)),
            "repeat_ratio": str((Decimal(repeated) / count).quantize(_RATIO)),
        })
    return rows


def late_documents(periods: Iterable[str], statements_issued: dict[str, datetime],
                   statistics_issued: dict[str, datetime], as_of: date) -> list[dict]:
    """Every statement or statistics report past its due date: still outstanding, or issued late."""
    late = []
    for period in sorted(set(periods)):
        for document, due, issued in (
            ("statements", due_dates(period)[0], statements_issued.get(period)),
            ("statistics", due_dates(period)[1], statistics_issued.get(period)),
        ):
            done_on = issued.date() if issued is not None else None
            finished = done_on if done_on is not None else as_of
            if finished > due:
                late.append({"period": period, "document": document, "due": due.isoformat(),
                             "issued_on": None if done_on is None else done_on.isoformat(),
                             "days_late": (finished - due).days})
    return late


def invoice(settlement: Settlement) -> dict:
    """The customer's invoice for an out-of-warranty job: only the lines the customer pays."""
    lines = [line for line in settlement.lines if line.payer == CUSTOMER]
    return {
        "invoice_no": f"INV-{settlement.settlement_id[:8].upper()}",
        "settlement_id": settlement.settlement_id,
        "ticket_id": settlement.ticket_id,
        "work_order_id": settlement.work_order_id,
        "service_point": settlement.payee,
        "currency": settlement.currency,
        "issued_at": settlement.posted_at.isoformat().replace("+00:00", "Z"),
        "lines": [
            {"kind": line.kind, "description": line.description, "part_no": line.part_no,
             "qty": str(line.qty.normalize()) if line.qty != line.qty.to_integral_value() else str(int(line.qty)),
             "unit_amount": _m(line.unit_amount), "amount": _m(line.amount)}
            for line in lines
        ],
        "total": _m(sum((line.amount for line in lines), ZERO)),
    }
