"""Field figures of a model's installed base: Pareto of failures, failure rate per unit and per
unit-year in service, Weibull probability-plot positions."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class ParetoRow:
    key: str
    failures: int
    percent: float
    cumulative_percent: float


def pareto(counts: Iterable[tuple[str, int]]) -> list[ParetoRow]:
    """Largest first (ties by key), each with its share and the running share."""
    ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
    total = sum(count for _, count in ordered)
    rows, running = [], 0
    for key, count in ordered:
        running += count
        rows.append(ParetoRow(key, count, 100.0 * count / total, 100.0 * running / total))
    return rows


def unit_years(units_by_purchase: Iterable[tuple[date, int]], as_of: date) -> float:
    return sum(count * (as_of - purchased).days for purchased, count in units_by_purchase
               if purchased <= as_of) / DAYS_PER_YEAR


def median_rank_positions(failures: Mapping[float, int], suspensions: Mapping[float, int],
                          limit: int = 2000) -> list[tuple[float, float]]:
    """(age, unreliability) plotting positions of the failures: Johnson's adjusted ranks for suspended
    units and Bernard's median-rank approximation (Abernethy, The New Weibull Handbook, ch. 2 and 4).
    At one age failures come before suspensions. At most ``limit`` points, evenly thinned."""
    events = sorted([(age, 0, count) for age, count in failures.items()]
                    + [(age, 1, count) for age, count in suspensions.items()])
    n = sum(count for _, _, count in events)
    remaining = n
    rank = 0.0
    points = []
    for age, suspended, count in events:
        if suspended:
            remaining -= count
            continue
        for _ in range(count):
            rank += (n + 1 - rank) / (1 + remaining)
            remaining -= 1
            points.append((float(age), (rank - 0.3) / (n + 0.4)))
    if len(points) > limit:
        step = len(points) / limit
        points = [points[int(i * step)] for i in range(limit)] + [points[-1]]
    return points
