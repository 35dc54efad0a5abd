"""Warranty and SLA rules of the hotline (接线员): decided once, when a request is accepted."""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Mapping

from aftersales_shared.vocabulary import IN_WARRANTY, OUT_OF_WARRANTY, WARRANTY_UNKNOWN


@dataclass(frozen=True)
class Warranty:
    status: str
    expires_on: date | None
    reason: str | None = None


@dataclass(frozen=True)
class Sla:
    respond_by: datetime
    resolve_by: datetime


def add_months(day: date, months: int) -> date:
    """Calendar months; a purchase on the 31st expires on the last day of a shorter month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


PROOFS = ("invoice", "receipt", "warranty_card", "none")
#: Conditions found on a unit that end its warranty, unless a category's policy says otherwise.
DEFAULT_VOIDING = frozenset({"liquid_damage", "physical_damage", "unauthorised_repair", "serial_tampered"})
CONDITIONS = tuple(sorted(DEFAULT_VOIDING | {"cosmetic_wear", "none"}))


@dataclass(frozen=True)
class WarrantyTerms:
    """Policy per product category: the term in months and the conditions that void it."""

    default_months: int
    months_by_category: Mapping[str, int]
    voiding_by_category: Mapping[str, frozenset] = field(default_factory=dict)

    def months_for(self, category: str) -> int:
        return self.months_by_category.get(category, self.default_months)

    def voiding_for(self, category: str) -> frozenset:
        return self.voiding_by_category.get(category, DEFAULT_VOIDING)

    def decide(self, category: str, purchase_date: date | None, today: date, proof: str | None = None,
               conditions: tuple[str, ...] = ()) -> Warranty:
        voided = sorted(set(conditions) & self.voiding_for(category))
        expires_on = None if purchase_date is None else add_months(purchase_date, self.months_for(category))
        if voided:
            return Warranty(OUT_OF_WARRANTY, expires_on, f"voided by {', '.join(voided)}")
        # Without proof of purchase nobody can say; free service waits until it is supplied.
        if purchase_date is None:
            return Warranty(WARRANTY_UNKNOWN, None, "no purchase date: proof of purchase needed")
        if proof == "none":
            return Warranty(WARRANTY_UNKNOWN, expires_on, "no proof of purchase seen")
        # A purchase date given without saying which proof was seen: today's callers check it on the call.
        seen = proof or "purchase date given"
        if today < expires_on:
            return Warranty(IN_WARRANTY, expires_on, f"in term until {expires_on} ({seen})")
        return Warranty(OUT_OF_WARRANTY, expires_on, f"term ended on {expires_on}")


@dataclass(frozen=True)
class SlaPolicy:
    respond_hours: int
    resolve_hours: Mapping[str, int]

    def deadlines(self, priority: str, accepted_at: datetime) -> Sla:
        return Sla(
            respond_by=accepted_at + timedelta(hours=self.respond_hours),
            resolve_by=accepted_at + timedelta(hours=self.resolve_hours[priority]),
        )
