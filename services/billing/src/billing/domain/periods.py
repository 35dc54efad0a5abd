"""Statement months: which one a booking lands in, and when its documents are due."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Collection

PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(PERIOD_PATTERN)
# From the settlement clerk's duties: the fee statements by the 8th, the statistics by the 12th.
STATEMENT_DUE_DAY = 8
STATISTICS_DUE_DAY = 12


def period_of(moment: datetime) -> str:
    # UTC months, so that every site books a job into the same month.
    return moment.astimezone(timezone.utc).strftime("%Y-%m")


def next_period(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12:04d}-{month % 12 + 1:02d}"


def open_period(natural: str, closed: Collection[str]) -> str:
    """A closed period is frozen: what belongs to it lands in the first open one after it."""
    period = natural
    while period in closed:
        period = next_period(period)
    return period


def due_dates(period: str) -> tuple[date, date]:
    """(statements due, statistics due): days of the month after the period."""
    year, month = (int(part) for part in next_period(period).split("-"))
    return date(year, month, STATEMENT_DUE_DAY), date(year, month, STATISTICS_DUE_DAY)


def is_period(value: str) -> bool:
    return bool(_PERIOD.match(value))
