"""Pricing one completed repair job into the settlement that books its money side."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable, Mapping, Optional, Sequence

from aftersales_shared.vocabulary import (
    CUSTOMER, IN_WARRANTY, LINE_KINDS, MANUFACTURER, OUTCOMES, PAYERS, SERVICE_TYPES, WARRANTY_STATUSES,
)

from billing.domain.catalogue import PartPrice
from billing.domain.fees import FeeSchedule, to_money
from billing.domain.periods import period_of

_ZERO = Decimal("0.00")
JOB = "job"
PENALTY = "penalty"
UNREPAIRABLE = "unrepairable"
# The engineer went out to the customer: a call-out minimum and travel apply.
_VISITS = ("onsite", "install")
_MINUTES_PER_HOUR = Decimal(60)
_HOURS_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class CompletedJob:
    ticket_id: str
    work_order_id: str
    payee: str
    category: str
    service_type: str
    warranty_status: str
    labour_minutes: int
    parts_used: Sequence[tuple[str, int]]
    completed_at: datetime
    outcome: str = "repaired"
    travel_km: Optional[Decimal] = None
    customer_signed: Optional[bool] = None
    repeat_of: Optional[str] = None
    region: str = ""

    def __post_init__(self) -> None:
        if self.service_type not in SERVICE_TYPES:
            raise ValueError(f"service_type: expected one of {SERVICE_TYPES}, got {self.service_type!r}")
        if self.warranty_status not in WARRANTY_STATUSES:
            raise ValueError(
                f"warranty_status: expected one of {WARRANTY_STATUSES}, got {self.warranty_status!r}"
            )
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome: expected one of {OUTCOMES}, got {self.outcome!r}")
        if not _is_count(self.labour_minutes, minimum=0):
            raise ValueError(f"labour_minutes: expected an integer >= 0, got {self.labour_minutes!r}")
        for part_no, qty in self.parts_used:
            if not _is_count(qty, minimum=1):
                raise ValueError(f"parts_used[{part_no!r}]: qty must be an integer >= 1, got {qty!r}")
        if self.travel_km is not None and (not isinstance(self.travel_km, Decimal) or self.travel_km < 0):
            raise ValueError(f"travel_km: expected a Decimal >= 0, got {self.travel_km!r}")
        _require_aware("completed_at", self.completed_at)
        object.__setattr__(self, "parts_used", tuple(tuple(used) for used in self.parts_used))

    @property
    def part_numbers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(part_no for part_no, _ in self.parts_used))


@dataclass(frozen=True)
class SettlementLine:
    kind: str
    description: str
    part_no: Optional[str]
    qty: Decimal
    unit_amount: Decimal
    amount: Decimal
    payer: str

    def __post_init__(self) -> None:
        if self.kind not in LINE_KINDS:
            raise ValueError(f"kind: expected one of {LINE_KINDS}, got {self.kind!r}")
        if self.payer not in PAYERS:
            raise ValueError(f"payer: expected one of {PAYERS}, got {self.payer!r}")
        if not isinstance(self.qty, Decimal) or self.qty < 0:
            raise ValueError(f"qty: expected a Decimal >= 0, got {self.qty!r}")
        _require_money("unit_amount", self.unit_amount)
        _require_money("amount", self.amount)


@dataclass(frozen=True)
class Settlement:
    settlement_id: str
    ticket_id: str
    work_order_id: str
    payee: str
    warranty_status: str
    currency: str
    lines: tuple[SettlementLine, ...]
    period: str
    posted_at: datetime
    # Not on the wire: what statements and statistics group by. A penalty is a document of its own.
    document: str = JOB
    service_type: Optional[str] = None
    category: Optional[str] = None
    outcome: Optional[str] = None
    completed_at: Optional[datetime] = None
    region: str = ""

    def __post_init__(self) -> None:
        if not self.lines:
            raise ValueError("lines: a settlement books at least one line")
        _require_aware("posted_at", self.posted_at)
        object.__setattr__(self, "lines", tuple(self.lines))

    @property
    def customer_total(self) -> Decimal:
        return self._total_paid_by(CUSTOMER)

    @property
    def manufacturer_total(self) -> Decimal:
        return self._total_paid_by(MANUFACTURER)

    @property
    def totals(self) -> Mapping[str, Decimal]:
        return {CUSTOMER: self.customer_total, MANUFACTURER: self.manufacturer_total}

    def _total_paid_by(self, payer: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.payer == payer), _ZERO)


class MissingPrices(Exception):
    """Parts the catalogue replica cannot price yet; the job waits for inventory to publish them."""

    def __init__(self, part_nos: Sequence[str]):
        super().__init__(f"no published price for {', '.join(part_nos)}")
        self.part_nos = tuple(part_nos)


def missing_prices(job: CompletedJob, prices: Mapping[str, PartPrice]) -> list[str]:
    """What the job still needs: any price for warranty work, a list price for a customer's."""
    needs_list_price = job.warranty_status != IN_WARRANTY
    return [
        part_no for part_no in job.part_numbers
        if part_no not in prices or (needs_list_price and prices[part_no].list_price is None)
    ]


def price_repair(
    job: CompletedJob, schedule: FeeSchedule, prices: Mapping[str, PartPrice], settlement_id: str,
    posted_at: datetime, period: Optional[str] = None,
) -> Settlement:
    missing = missing_prices(job, prices)
    if missing:
        raise MissingPrices(missing)
    if job.warranty_status == IN_WARRANTY:
        lines = _warranty_lines(job, schedule, prices)
    else:
        lines = _paid_repair_lines(job, schedule, prices)
    return Settlement(
        settlement_id=settlement_id,
        ticket_id=job.ticket_id,
        work_order_id=job.work_order_id,
        payee=job.payee,
        warranty_status=job.warranty_status,
        currency=schedule.currency,
        lines=tuple(lines),
        period=period or statement_period(job.completed_at),
        posted_at=posted_at,
        service_type=job.service_type,
        category=job.category,
        outcome=job.outcome,
        completed_at=job.completed_at,
        region=job.region,
    )


def penalty_settlement(
    *, settlement_id: str, ticket_id: str, work_order_id: str, payee: str, currency: str, kind: str,
    description: str, amount: Decimal, period: str, posted_at: datetime, region: str = "",
) -> Settlement:
    """A deduction from what the manufacturer pays the service point: one negative line."""
    deduction = -to_money(amount)
    return Settlement(
        settlement_id=settlement_id, ticket_id=ticket_id, work_order_id=work_order_id, payee=payee,
        warranty_status=IN_WARRANTY, currency=currency, period=period, posted_at=posted_at,
        lines=(SettlementLine(kind=kind, description=description, part_no=None, qty=Decimal(1),
                              unit_amount=deduction, amount=deduction, payer=MANUFACTURER),),
        document=PENALTY, region=region,
    )


def statement_period(completed_at: datetime) -> str:
    """The month a job belongs to, before any closing of periods moves it on."""
    return period_of(completed_at)


def _warranty_lines(job: CompletedJob, schedule: FeeSchedule, prices: Mapping[str, PartPrice]) -> list[SettlementLine]:
    fee = to_money(schedule.labour_fee(job.category, job.service_type))
    labour = _single("labour", f"Warranty labour fee ({job.category}, {job.service_type})", fee, MANUFACTURER)
    return [labour] + _part_lines(job, prices, lambda price: price.unit_cost, MANUFACTURER)


def _paid_repair_lines(job: CompletedJob, schedule: FeeSchedule, prices: Mapping[str, PartPrice]) -> list[SettlementLine]:
    if job.outcome == UNREPAIRABLE:
        # Nothing was repaired, so no labour by the hour: the inspection is what the customer pays for.
        lines = [_single("inspection", "Inspection (unit unrepairable)", to_money(schedule.inspection_fee), CUSTOMER)]
    else:
        lines = [_hourly_labour_line(job, schedule)]
    if job.service_type in _VISITS and job.travel_km is not None:
        band = schedule.travel_fee(job.travel_km)
        if band is not None:
            limit = f"up to {band.up_to_km} km" if band.up_to_km is not None else "beyond the last band"
            lines.append(_single("travel", f"Travel {job.travel_km} km ({limit})", to_money(band.fee), CUSTOMER))
    if job.service_type == "mail_in":
        # Charged whatever the outcome: the unit travels back either way.
        if schedule.shipping > 0:
            lines.append(_single("shipping", "Shipping (mail-in)", to_money(schedule.shipping), CUSTOMER))
        if schedule.insurance > 0:
            lines.append(_single("shipping", "Transit insurance (mail-in)", to_money(schedule.insurance), CUSTOMER))
    return lines + _part_lines(job, prices, lambda price: price.list_price, CUSTOMER)


def _single(kind: str, description: str, amount: Decimal, payer: str) -> SettlementLine:
    return SettlementLine(kind=kind, description=description, part_no=None, qty=Decimal(1),
                          unit_amount=amount, amount=amount, payer=payer)


def _hourly_labour_line(job: CompletedJob, schedule: FeeSchedule) -> SettlementLine:
    # Charged from the exact minutes; the hours in qty are rounded only for display.
    rate = to_money(schedule.hourly_rate)
    minimum = to_money(schedule.minimum_call_out)
    charged = to_money(job.labour_minutes * rate / _MINUTES_PER_HOUR)
    if job.service_type in _VISITS and charged < minimum:
        return _single("labour", f"Minimum call-out fee (labour {job.labour_minutes} min)", minimum, CUSTOMER)
    return SettlementLine(
        kind="labour",
        description=f"Labour {job.labour_minutes} min at {rate}/h",
        part_no=None,
        qty=_hours(job.labour_minutes),
        unit_amount=rate,
        amount=charged,
        payer=CUSTOMER,
    )


def _part_lines(
    job: CompletedJob,
    prices: Mapping[str, PartPrice],
    unit_price_of: Callable[[PartPrice], Decimal],
    payer: str,
) -> list[SettlementLine]:
    lines = []
    for part_no, qty in job.parts_used:
        price = prices[part_no]
        unit_amount = to_money(unit_price_of(price))
        lines.append(
            SettlementLine(
                kind="part",
                description=price.description or part_no,
                part_no=part_no,
                qty=Decimal(qty),
                unit_amount=unit_amount,
                amount=to_money(unit_amount * qty),
                payer=payer,
            )
        )
    return lines


def _hours(minutes: int) -> Decimal:
    hours = (Decimal(minutes) / _MINUTES_PER_HOUR).quantize(_HOURS_STEP, ROUND_HALF_UP)
    # 1.5 rather than 1.5000, yet 100 rather than 1E+2 on the wire.
    return hours.quantize(Decimal(1)) if hours == hours.to_integral_value() else hours.normalize()


def _is_count(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _require_aware(name: str, moment: datetime) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(f"{name}: expected a timezone-aware datetime, got {moment!r}")


def _require_money(name: str, amount: Decimal) -> None:
    if not isinstance(amount, Decimal) or amount.as_tuple().exponent != -2:
        raise ValueError(f"{name}: expected a Decimal with 2 places, got {amount!r}")
