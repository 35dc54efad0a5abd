"""The settlement clerk's month: statements per payee, closing a period, statistics, deposits."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Callable
from decimal import Decimal

from aftersales_shared.idempotency import Answer, IdempotentRequest, Replayed, remember, replayed

from ..adapters.repository import Deposit
from ..domain import statements as documents
from ..domain.periods import next_period, open_period, period_of
from .handlers import Rules
from .unit_of_work import BillingUnitOfWork


class PeriodNotOver(Exception):
    def __init__(self, period: str):
        super().__init__(f"period {period} has not ended yet; it can be closed from the 1st of the next month")


class PeriodClosed(Exception):
    def __init__(self, period: str):
        super().__init__(f"period {period} is closed already")


def statement_of(uow: BillingUnitOfWork, rules: Rules, payee: str, period: str) -> dict:
    """As issued when the period is closed; as it stands so far when it is open."""
    issued = uow.periods.statement(payee, period)
    if issued is not None:
        return issued
    # A payee with nothing in a closed month: its (empty) statement is as final as the others.
    return _compute(uow, rules, payee, period, issued_at=uow.periods.issued_dates("closed_at").get(period))


def statements_of(uow: BillingUnitOfWork, rules: Rules, period: str) -> list[dict]:
    payees = sorted({s.payee for s in uow.settlements.in_period(period)}
                    | {d.payee for d in uow.periods.deposits(period)})
    return [statement_of(uow, rules, payee, period) for payee in payees]


def _compute(uow: BillingUnitOfWork, rules: Rules, payee: str, period: str, issued_at: datetime | None = None):
    deposits = [documents.DepositLine(d.description, d.amount) for d in uow.periods.deposits(period, payee)]
    return documents.statement(payee, period, rules.schedules.currency, uow.settlements.in_period(period, payee),
                               deposits, issued_at)


def close_period(uow: BillingUnitOfWork, rules: Rules, period: str) -> list[dict]:
    """Issues every payee's statement and freezes the period: what arrives later lands in the next one."""
    now = rules.clock()
    if period >= period_of(now):
        raise PeriodNotOver(period)
    uow.periods.guard(exclusive=True)
    if period in uow.periods.closed():
        raise PeriodClosed(period)
    payees = sorted({s.payee for s in uow.settlements.in_period(period)}
                    | {d.payee for d in uow.periods.deposits(period)})
    issued = [_compute(uow, rules, payee, period, issued_at=now) for payee in payees]
    if not uow.periods.close(period, now):
        raise PeriodClosed(period)
    for body in issued:
        uow.periods.save_statement(body["payee"], period, body, now)
    uow.commit()
    return issued


def issue_statistics(uow: BillingUnitOfWork, rules: Rules, period: str) -> list[dict]:
    now = rules.clock()
    if period >= period_of(now):
        raise PeriodNotOver(period)
    rows = statistics_of(uow, period)
    uow.periods.issue_statistics(period, now)
    uow.commit()
    return rows


def statistics_of(uow: BillingUnitOfWork, period: str) -> list[dict]:
    return documents.statistics(period, uow.settlements.in_period(period), uow.flags.list())


def late_list(uow: BillingUnitOfWork, as_of: date) -> list[dict]:
    periods = uow.settlements.periods()
    return documents.late_documents(periods, uow.periods.issued_dates("closed_at"),
                                    uow.periods.issued_dates("statistics_issued_at"), as_of)


def record_deposit(uow: BillingUnitOfWork, rules: Rules, payee: str, amount: Decimal, description: str,
                   request: IdempotentRequest | None = None,
                   answer: Callable[[Deposit], Answer] | None = None) -> Deposit | Replayed:
    """A parts deposit paid (positive) or refunded (negative), on the statement open now; once per
    Idempotency-Key: a retry gets the first answer and records nothing."""
    now = rules.clock()
    earlier = replayed(uow.requests, request, now)
    if earlier is not None:
        return earlier
    uow.periods.guard()
    deposit = Deposit(str(uuid.uuid4()), payee, open_period(period_of(now), uow.periods.closed()), amount,
                      description, now)
    uow.periods.add_deposit(deposit)
    remember(uow.requests, request, answer, deposit)
    uow.commit()
    return deposit


__all__ = ["PeriodClosed", "PeriodNotOver", "close_period", "issue_statistics", "late_list", "next_period",
           "record_deposit", "statement_of", "statements_of", "statistics_of"]
