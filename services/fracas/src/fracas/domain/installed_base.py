"""Sold or installed units: the population every failure rate is a fraction of."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class InstalledUnit:
    serial: str
    model: str
    category: str
    purchase_date: date
    batch: str | None = None
