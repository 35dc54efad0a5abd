"""Reports read from the ledger: slow stock per site, monthly use and a forecast per part and site."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from ..domain.reports import SlowStock, Usage, month_of, months_back, slow_stock, usage
from ..domain.stock import CONSUMPTION, TRANSFER_OUT
from .unit_of_work import InventoryUnitOfWork

ISSUES = (CONSUMPTION, TRANSFER_OUT)


def slow_stock_at(site: str, days: int, now: datetime, uow: InventoryUnitOfWork) -> list[SlowStock]:
    with uow:
        levels = uow.stock.at_site(site)
        recent = uow.stock.issues(site, now - timedelta(days=days), ISSUES)
        last = uow.stock.last_issued(site, ISSUES)
    return slow_stock(levels, recent, last, now, days)


def monthly_usage(site: str, part_no: str, months: int, last_month: date | None, now: datetime,
                  uow: InventoryUnitOfWork) -> Usage:
    last_month = last_month or month_of(now)
    first = months_back(last_month, max(months, 3))[0]
    since = datetime(first.year, first.month, 1, tzinfo=now.tzinfo)
    with uow:
        consumed = [issue for issue in uow.stock.issues(site, since, (CONSUMPTION,), part_no)
                    if month_of(issue.at) <= last_month]
    return usage(site, part_no, consumed, last_month, months)
