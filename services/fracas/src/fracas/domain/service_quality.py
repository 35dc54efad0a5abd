"""Service quality of repairs: dead-on-arrival, repeat-repair and first-time-fix rates by a dimension."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from .failures import FULL_FOLLOW_UP, FailureRecord

DIMENSIONS = ("model", "category", "site", "engineer", "month")


def _key(record: FailureRecord, by: str) -> str:
    if by == "model":
        return record.product.model
    if by == "category":
        return record.product.category or "unknown"
    if by == "site":
        return record.site or "unknown"
    if by == "engineer":
        return record.engineer_id
    if by == "month":
        return record.failed_on.strftime("%Y-%m")
    raise ValueError(f"cannot group by {by!r}; one of {DIMENSIONS}")


@dataclass(frozen=True)
class QualityRow:
    key: str
    repairs: int
    doa: int
    followed_up: int
    repeated: int
    first_time_fixes: int

    @property
    def doa_rate(self) -> float | None:
        return self.doa / self.repairs if self.repairs else None

    @property
    def repeat_rate(self) -> float | None:
        return self.repeated / self.followed_up if self.followed_up else None

    @property
    def first_time_fix_rate(self) -> float | None:
        return self.first_time_fixes / self.followed_up if self.followed_up else None


def quality_rates(records: Iterable[FailureRecord], by: str, as_of: datetime) -> list[QualityRow]:
    """Repeat and first-time-fix rates count only repairs whose whole follow-up window (7 days, the longer
    repeat window) had passed by ``as_of``: a recent repair not yet called back about is no fix yet.
    A repair is repeated when a later repair names its ticket in ``repeat_of``; it is a first-time fix
    when it fixed the unit (repaired or replaced) and was not repeated."""
    records = [record for record in records if record.completed_at <= as_of]
    repeated_tickets = {record.repeat_of for record in records if record.repeat_of}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for record in records:
        row = counts[_key(record, by)]
        row[0] += 1
        row[1] += record.doa
        if record.completed_at + FULL_FOLLOW_UP <= as_of:
            was_repeated = record.ticket_id in repeated_tickets
            row[2] += 1
            row[3] += was_repeated
            row[4] += record.first_time_fix and not was_repeated
    return [QualityRow(key, *values) for key, values in sorted(counts.items())]
