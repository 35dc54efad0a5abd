"""Warranty and SLA rules of the hotline (接线员): decided once, when a request is accepted."""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Mapping

from aftersales_shared.vocabulary import IN_WARRANTY, OUT_OF_WARRANTY, WARRANTY_UNKNOWN


@dataclass(frozen=True)
class Warranty:
    status: str
    expires_on: date | None


@dataclass(frozen=True)
class Sla:
    respond_by: datetime
    resolve_by: datetime


def add_months(day: date, months: int) -> date:
    """Calendar months; a purchase on the 31st expires on the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class WarrantyTerms:
    default_months: int
    months_by_category: Mapping[str, int]

    def months_for(self, category: str) -> int:
        return self.months_by_category.get(category, self.default_months)

    def decide(self, category: str, purchase_date: date | None, today: date) -> Warranty:
        # Without proof of purchase nobody can say; the engineer decides on inspection.
        if purchase_date is None:
            return Warranty(WARRANTY_UNKNOWN, None)
        expires_on = add_months(purchase_date, self.months_for(category))
        return Warranty(IN_WARRANTY if today < expires_on else OUT_OF_WARRANTY, expires_on)


@dataclass(frozen=True)
class SlaPolicy:
    respond_hours: int
    resolve_hours: Mapping[str, int]

    def deadlines(self, priority: str, accepted_at: datetime) -> Sla:
        return Sla(
            respond_by=accepted_at + timedelta(hours=self.respond_hours),
            resolve_by=accepted_at + timedelta(hours=self.resolve_hours[priority]),
        )
