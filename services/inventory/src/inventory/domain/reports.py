"""What a parts clerk reads at month end: stock that does not move, and what each part is used for.

Issues are what leaves a site's shelf for use: consumption in repairs and transfers to other sites.
- dead stock: on hand, and nothing issued in the last ``days`` days;
- low-moving stock: issued in that window, but less than what is on hand, so the shelf holds more than
  the window's use;
- monthly use per part and site, and a forecast of next month's use as the average of the last three
  months (a simple moving average: few parts have history enough for more).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

from .stock import StockLevel

DEAD = "dead"
LOW_MOVING = "low_moving"
FORECAST_MONTHS = 3


@dataclass(frozen=True)
class Issue:
    part_no: str
    qty: int
    at: datetime


@dataclass(frozen=True)
class SlowStock:
    site: str
    part_no: str
    on_hand: int
    value: Decimal
    issued_in_window: int
    last_issued_at: datetime | None
    status: str


def slow_stock(levels: Iterable[StockLevel], recent: Iterable[Issue], last_issued: dict[str, datetime],
               now: datetime, days: int) -> list[SlowStock]:
    """Dead and low-moving stock among ``levels``; ``recent`` are the issues of the last ``days`` days."""
    since = now - timedelta(days=days)
    issued: dict[str, int] = defaultdict(int)
    for issue in recent:
        if issue.at >= since:
            issued[issue.part_no] += issue.qty
    found = []
    for level in levels:
        if level.on_hand <= 0:
            continue
        used = issued[level.part_no]
        status = DEAD if used == 0 else LOW_MOVING if used < level.on_hand else None
        if status:
            found.append(SlowStock(level.site, level.part_no, level.on_hand, level.value.quantize(Decimal("0.01")),
                                   used, last_issued.get(level.part_no), status))
    return sorted(found, key=lambda s: (s.status != DEAD, -s.value, s.part_no))


def month_of(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def months_back(last: date, count: int) -> list[date]:
    months = []
    year, month = last.year, last.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


@dataclass(frozen=True)
class Usage:
    site: str
    part_no: str
    months: list[tuple[str, int]]
    forecast_next_month: Decimal


def usage(site: str, part_no: str, consumed: Iterable[Issue], last_month: date, months: int) -> Usage:
    """Parts used per month for the ``months`` months ending with ``last_month``, and next month's forecast."""
    per_month: dict[date, int] = defaultdict(int)
    for issue in consumed:
        per_month[month_of(issue.at)] += issue.qty
    window = months_back(last_month, max(months, FORECAST_MONTHS))
    recent = [per_month[month] for month in window[-FORECAST_MONTHS:]]
    forecast = (Decimal(sum(recent)) / FORECAST_MONTHS).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shown = window[-months:]
    return Usage(site, part_no, [(f"{month:%Y-%m}", per_month[month]) for month in shown], forecast)
