"""SLA clocks (seed 000: 4 h accepted → dispatched, 6 h dispatched → completed, 8 h hard cap).

A clock is derived, never stored as truth: from the work order's recorded transitions and the site's
working calendar. So a calendar change or a replay of the history gives the deadline again.

- respond: from acceptance (of the ticket, or of the quote) to the first dispatch; 4 working hours.
- resolve: from the first dispatch to the end of the job; 6 working hours.
- hard_cap: dispatch to the end of the job, 8 working hours of the weekly hours whatever happens:
  waiting for parts or the customer and public holidays (the seed's "special cases") do not stop it.
Depot and mail-in work has only the respond clock; its turnaround (three working days) is the overdue list.
respond and resolve pause while the work order waits for parts or the customer and skip holidays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo

from .work_orders import PAUSED, TERMINAL, WorkOrder, Transition

RESPOND, RESOLVE, HARD_CAP = "respond", "resolve", "hard_cap"
CLOCKS = (RESPOND, RESOLVE, HARD_CAP)
BUDGETS = {RESPOND: timedelta(hours=4), RESOLVE: timedelta(hours=6), HARD_CAP: timedelta(hours=8)}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# A calendar with no working hours at all would never reach a deadline; this bounds the search.
HORIZON_DAYS = 400


class InvalidCalendar(ValueError):
    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class WorkingCalendar:
    """A site's working time: hours per weekday (minutes from local midnight), holidays, time zone."""

    time_zone: str = "UTC"
    hours: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: {day: (0, DAY_MINUTES) for day in WEEKDAYS})
    holidays: frozenset[date] = frozenset()

    def __post_init__(self):
        try:
            ZoneInfo(self.time_zone)
        except Exception as exc:  # noqa: BLE001 - zoneinfo raises several kinds for a bad key
            raise InvalidCalendar("time_zone", f"Unknown time zone {self.time_zone!r}.") from exc
        for day, (start, end) in self.hours.items():
            if day not in WEEKDAYS:
                raise InvalidCalendar("hours", f"Unknown weekday {day!r}; use {', '.join(WEEKDAYS)}.")
            if not 0 <= start < end <= DAY_MINUTES:
                raise InvalidCalendar("hours", f"{day}: the day must start before it ends, within 00:00-24:00.")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def intervals(self, start: datetime, holidays: bool = True) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals in UTC from ``start`` on (the first one clipped)."""
        zone = self.zone
        day = start.astimezone(zone).date()
        for _ in range(HORIZON_DAYS):
            hours = self.hours.get(WEEKDAYS[day.weekday()])
            if hours and not (holidays and day in self.holidays):
                midnight = datetime(day.year, day.month, day.day)
                opens = (midnight + timedelta(minutes=hours[0])).replace(tzinfo=zone).astimezone(timezone.utc)
                closes = (midnight + timedelta(minutes=hours[1])).replace(tzinfo=zone).astimezone(timezone.utc)
                if closes > start:
                    yield max(opens, start), closes
            day += timedelta(days=1)


ALWAYS_OPEN = WorkingCalendar()


def _minus(interval: tuple[datetime, datetime], pauses: list[tuple[datetime, datetime | None]]):
    """The parts of an interval outside every pause; an open pause swallows everything after it."""
    a, b = interval
    for p_start, p_end in pauses:
        if p_end is not None and p_end <= a:
            continue
        if p_start >= b:
            break
        if p_start > a:
            yield a, p_start
        if p_end is None:
            return
        a = max(a, p_end)
        if a >= b:
            return
    if a < b:
        yield a, b


def _counted(start: datetime, calendar: WorkingCalendar, pauses, holidays: bool):
    for interval in calendar.intervals(start, holidays):
        yield from _minus(interval, pauses)
        if any(p_end is None and p_start <= interval[1] for p_start, p_end in pauses):
            return


def deadline(start: datetime, budget: timedelta, calendar: WorkingCalendar,
             pauses: list[tuple[datetime, datetime | None]] = (), holidays: bool = True) -> datetime | None:
    """When ``budget`` of counted working time has passed since ``start``; None while paused (open pause)."""
    pauses = sorted(pauses, key=lambda p: p[0])
    left = budget
    for a, b in _counted(start, calendar, pauses, holidays):
        if b - a >= left:
            return a + left
        left -= b - a
    return None


def elapsed(start: datetime, until: datetime, calendar: WorkingCalendar,
            pauses: list[tuple[datetime, datetime | None]] = (), holidays: bool = True) -> timedelta:
    pauses = sorted(pauses, key=lambda p: p[0])
    total = timedelta()
    for a, b in _counted(start, calendar, pauses, holidays):
        if a >= until:
            break
        total += min(b, until) - a
    return total


def pauses_of(history: Iterable[Transition]) -> list[tuple[datetime, datetime | None]]:
    """Intervals spent waiting for parts or the customer, from the recorded transitions."""
    pauses: list[tuple[datetime, datetime | None]] = []
    began: datetime | None = None
    for step in history:
        if step.to_status in PAUSED and began is None:
            began = step.at
        elif step.to_status not in PAUSED and began is not None:
            pauses.append((began, step.at))
            began = None
    if began is not None:
        pauses.append((began, None))
    return pauses


@dataclass(frozen=True)
class ClockState:
    work_order_id: str
    ticket_id: str
    site: str
    region: str
    clock: str
    started_at: datetime | None
    deadline: datetime | None
    stopped_at: datetime | None
    paused: bool

    @property
    def running(self) -> bool:
        return self.started_at is not None and self.stopped_at is None

    def breached_by(self, now: datetime) -> bool:
        if self.deadline is None:
            return False
        return (self.stopped_at or now) > self.deadline


def clocks_of(work_order: WorkOrder, history: list[Transition], calendar: WorkingCalendar) -> list[ClockState]:
    """The three clocks of a work order, from its recorded transitions and the site's calendar."""
    history = sorted(history, key=lambda t: t.at)
    pauses = pauses_of(history)
    ended = next((t.at for t in history if t.to_status in TERMINAL), None)
    paused_now = work_order.status in PAUSED
    # A depot unit's turnaround is three working days from its receipt (the overdue depot list), not hours:
    # only its respond clock runs.
    on_site_start = None if work_order.is_depot else work_order.dispatched_at
    spans = {
        RESPOND: (work_order.accepted_at, work_order.dispatched_at or ended, True),
        RESOLVE: (on_site_start, ended, True),
        HARD_CAP: (on_site_start, ended, False),
    }
    states = []
    for clock, (start, stop, pausable) in spans.items():
        due = None
        if start is not None:
            counted_pauses = [p for p in pauses if pausable and (stop is None or p[0] < stop)]
            if stop is not None:  # a pause still open when the clock stopped ends with it
                counted_pauses = [(a, b if b is not None and b <= stop else stop) for a, b in counted_pauses]
            due = deadline(start, BUDGETS[clock], calendar, counted_pauses, holidays=pausable)
        states.append(ClockState(work_order.id, work_order.ticket_id, work_order.site, work_order.region, clock,
                                 start, due, stop, pausable and paused_now and stop is None))
    return states


# -- prediction --------------------------------------------------------------------------------------

AVERAGE_JOB = timedelta(minutes=60)
URBAN_TRAVEL = timedelta(minutes=20)  # seed 000: 20 minutes to an urban customer
REGIONAL_TRAVEL = timedelta(minutes=90)
# An unassigned job with less than this left before its respond deadline is at risk.
DISPATCH_MARGIN = timedelta(minutes=30)


@dataclass(frozen=True)
class Risk:
    work_order_id: str
    clock: str
    deadline: datetime | None
    expected_at: datetime | None
    reasons: tuple[str, ...]


def predict(work_order: WorkOrder, clocks: list[ClockState], now: datetime, calendar: WorkingCalendar,
            queue_ahead: int, engineer_site: str | None) -> Risk | None:
    """Will the running clock be missed? From the engineer's queue, a travel estimate and the parts status."""
    running = [c for c in clocks if c.running and c.clock != HARD_CAP]
    if not running or work_order.status in TERMINAL:
        return None
    clock = running[0] if work_order.dispatched_at is None else next(c for c in running if c.clock == RESOLVE)
    reasons = []
    if work_order.awaiting_parts:
        reasons.append(f"parts {work_order.parts_status or 'not reserved yet'}")
    if work_order.status == "waiting_customer":
        reasons.append("waiting for the customer")
    expected = None
    if clock.deadline is not None:
        if clock.clock == RESPOND:
            needed = DISPATCH_MARGIN
            reasons_if_late = ["no engineer yet"]
        else:
            travel = timedelta() if work_order.effective_status in ("on_site", "received", "diagnosing", "repairing",
                                                                    "qc") else \
                URBAN_TRAVEL if engineer_site == work_order.site else REGIONAL_TRAVEL
            needed = AVERAGE_JOB * (queue_ahead + 1) + travel
            reasons_if_late = [f"{queue_ahead} jobs ahead", f"travel about {int(travel.total_seconds() // 60)} min"]
        expected = deadline(now, needed, calendar)
        if expected is None or expected > clock.deadline:
            reasons.extend(reasons_if_late)
    if not reasons:
        return None
    return Risk(work_order.id, clock.clock, clock.deadline, expected, tuple(reasons))


DEPOT_WORKING_DAYS = 3  # seed 003: depot repairs back within three working days


def depot_due(received_at: datetime, calendar: WorkingCalendar, days: int = DEPOT_WORKING_DAYS) -> datetime | None:
    """The close of the third working day after the one the unit was received on."""
    zone = calendar.zone
    received_day = received_at.astimezone(zone).date()
    counted = 0
    for opens, closes in calendar.intervals(received_at):
        if opens.astimezone(zone).date() == received_day:
            continue
        counted += 1
        if counted == days:
            return closes
    return None


def parse_hours(text: str) -> tuple[int, int]:
    """'09:00-18:00' → minutes from local midnight; '24:00' ends the day."""
    try:
        start, end = text.split("-")
        minutes = []
        for part in (start, end):
            hh, mm = part.strip().split(":")
            minutes.append(int(hh) * 60 + int(mm))
    except ValueError as exc:
        raise InvalidCalendar("hours", f"{text!r} is not HH:MM-HH:MM.") from exc
    return minutes[0], minutes[1]


def format_hours(hours: tuple[int, int]) -> str:
    return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in hours)


def local_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)
