"""Fee schedules, versioned and effective-dated, and the money arithmetic billing relies on.

A schedule file holds every version; the version in force at a job's completion prices it, so a new
version never changes a settlement already booked. Part prices are not here: they come from inventory.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Mapping, Optional, Sequence

from aftersales_shared.vocabulary import CURRENCY_PATTERN, SERVICE_TYPES

CENT = Decimal("0.01")
DEFAULT_CATEGORY = "default"

_CURRENCY = re.compile(CURRENCY_PATTERN)
_FILE_KEYS = {"currency", "versions"}
_VERSION_KEYS = {
    "version", "effective_from", "warranty_labour", "hourly_rate", "minimum_call_out", "inspection_fee",
    "shipping", "insurance", "travel_bands", "penalties",
}
_OPTIONAL_MONEY = ("inspection_fee", "shipping", "insurance")
_BAND_KEYS = {"up_to_km", "fee"}
_PENALTY_KEYS = {"missing_signature", "failed_callback", "sla_breach", "repeat_clawback"}


def to_money(amount: Decimal) -> Decimal:
    """Half-up to the cent: the one rounding rule billing applies, always explicitly."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class PricingError(Exception):
    """A job the schedule cannot price; booking a guessed amount would be worse than refusing."""


class NoLabourRate(PricingError):
    def __init__(self, category: str, service_type: str):
        super().__init__(
            f"no warranty labour fee for category {category!r}, service type {service_type!r}"
        )
        self.category = category
        self.service_type = service_type


class NoScheduleInForce(PricingError):
    def __init__(self, moment: datetime):
        super().__init__(f"no fee schedule version is in force at {moment.isoformat()}")
        self.moment = moment


@dataclass(frozen=True)
class TravelBand:
    up_to_km: Optional[Decimal]  # None: every longer distance
    fee: Decimal


@dataclass(frozen=True)
class PenaltyRules:
    """What a compliance flag costs the service point; zero books the flag without a deduction."""

    missing_signature: Decimal = Decimal("0.00")
    failed_callback: Decimal = Decimal("0.00")
    sla_breach: Decimal = Decimal("0.00")
    # A repeat repair claws back the labour fee the manufacturer paid for the first job.
    repeat_clawback: bool = True


@dataclass(frozen=True)
class FeeSchedule:
    """One version of the schedule."""

    currency: str
    warranty_labour: Mapping[str, Mapping[str, Decimal]]
    hourly_rate: Decimal
    minimum_call_out: Decimal
    version: int = 1
    effective_from: Optional[datetime] = None
    inspection_fee: Decimal = Decimal("0.00")
    shipping: Decimal = Decimal("0.00")
    insurance: Decimal = Decimal("0.00")
    travel_bands: Sequence[TravelBand] = ()
    penalties: PenaltyRules = PenaltyRules()

    def labour_fee(self, category: str, service_type: str) -> Decimal:
        # Only a missing category falls back to "default": a category that is listed
        # but lacks this service type was priced on purpose, so a gap there is refused.
        fees = self.warranty_labour.get(category)
        if fees is None:
            fees = self.warranty_labour.get(DEFAULT_CATEGORY, {})
        try:
            return fees[service_type]
        except KeyError:
            raise NoLabourRate(category, service_type) from None

    def travel_fee(self, km: Decimal) -> Optional[TravelBand]:
        """The first band whose limit the distance does not exceed; None without bands."""
        for band in self.travel_bands:
            if band.up_to_km is None or km <= band.up_to_km:
                return band
        return None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], currency: str = "CNY") -> FeeSchedule:
        """One version from parsed JSON; every problem is a ValueError naming the key."""
        data = _object(data, "version")
        _reject_unknown_keys(data, _VERSION_KEYS, "")
        version = data.get("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"version: expected an integer >= 1, got {version!r}")
        return cls(
            currency=currency,
            version=version,
            effective_from=_parse_time(data.get("effective_from"), "effective_from"),
            warranty_labour=_parse_labour(_required(data, "warranty_labour", "")),
            hourly_rate=_parse_money(_required(data, "hourly_rate", ""), "hourly_rate"),
            minimum_call_out=_parse_money(_required(data, "minimum_call_out", ""), "minimum_call_out"),
            **{key: _parse_money(data[key], key) for key in _OPTIONAL_MONEY if key in data},
            travel_bands=_parse_bands(data.get("travel_bands", [])),
            penalties=_parse_penalties(data.get("penalties", {})),
        )


@dataclass(frozen=True)
class FeeSchedules:
    """Every version, oldest first; the one in force at a moment prices what happened then."""

    currency: str
    versions: tuple[FeeSchedule, ...]

    def in_force(self, moment: datetime) -> FeeSchedule:
        applicable = [v for v in self.versions if v.effective_from is None or v.effective_from <= moment]
        if not applicable:
            raise NoScheduleInForce(moment)
        return applicable[-1]

    @property
    def latest(self) -> FeeSchedule:
        return self.versions[-1]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FeeSchedules:
        data = _object(data, "schedule")
        _reject_unknown_keys(data, _FILE_KEYS, "")
        currency = _required(data, "currency", "")
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise ValueError(f"currency: expected a 3-letter upper-case code, got {currency!r}")
        raw = _required(data, "versions", "")
        if not isinstance(raw, list) or not raw:
            raise ValueError("versions: expected a non-empty list")
        versions = []
        for index, item in enumerate(raw):
            try:
                versions.append(FeeSchedule.from_mapping(item, currency))
            except ValueError as error:
                raise ValueError(f"versions[{index}].{error}") from None
        versions.sort(key=lambda v: v.version)
        for earlier, later in zip(versions, versions[1:]):
            if earlier.version == later.version:
                raise ValueError(f"versions: version {later.version} appears twice")
            if later.effective_from is None or (
                earlier.effective_from is not None and later.effective_from <= earlier.effective_from
            ):
                raise ValueError(f"versions: version {later.version} must take effect after version {earlier.version}")
        return cls(currency=currency, versions=tuple(versions))


def _parse_labour(raw: Any) -> Mapping[str, Mapping[str, Decimal]]:
    table = _object(raw, "warranty_labour")
    labour = {}
    for category, fees in table.items():
        path = f"warranty_labour.{category}"
        fees = _object(fees, path)
        _reject_unknown_keys(fees, set(SERVICE_TYPES), path)
        labour[category] = MappingProxyType(
            {kind: _parse_money(fee, f"{path}.{kind}") for kind, fee in fees.items()}
        )
    return MappingProxyType(labour)


def _parse_bands(raw: Any) -> tuple[TravelBand, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"travel_bands: expected a list, got {raw!r}")
    bands = []
    for index, band in enumerate(raw):
        path = f"travel_bands[{index}]"
        band = _object(band, path)
        _reject_unknown_keys(band, _BAND_KEYS, path)
        limit = band.get("up_to_km")
        bands.append(TravelBand(
            up_to_km=None if limit is None else _parse_number(limit, f"{path}.up_to_km"),
            fee=_parse_money(_required(band, "fee", path), f"{path}.fee"),
        ))
    for index, (earlier, later) in enumerate(zip(bands, bands[1:]), start=1):
        if earlier.up_to_km is None or (later.up_to_km is not None and later.up_to_km <= earlier.up_to_km):
            raise ValueError(f"travel_bands[{index}].up_to_km: bands must go from the nearest to the farthest")
    return tuple(bands)


def _parse_penalties(raw: Any) -> PenaltyRules:
    rules = _object(raw, "penalties")
    _reject_unknown_keys(rules, _PENALTY_KEYS, "penalties")
    clawback = rules.get("repeat_clawback", True)
    if not isinstance(clawback, bool):
        raise ValueError(f"penalties.repeat_clawback: expected true or false, got {clawback!r}")
    return PenaltyRules(
        missing_signature=_parse_money(rules.get("missing_signature", "0.00"), "penalties.missing_signature"),
        failed_callback=_parse_money(rules.get("failed_callback", "0.00"), "penalties.failed_callback"),
        sla_breach=_parse_money(rules.get("sla_breach", "0.00"), "penalties.sla_breach"),
        repeat_clawback=clawback,
    )


def _parse_time(raw: Any, path: str) -> Optional[datetime]:
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{path}: {raw!r} is not an RFC 3339 time") from None
    if moment.utcoffset() is None:
        raise ValueError(f"{path}: {raw!r} has no UTC offset")
    return moment


def _parse_number(raw: Any, path: str) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise ValueError(f"{path}: expected a decimal string, got {raw!r}")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{path}: {raw!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{path}: expected a non-negative number, got {raw!r}")
    return number


def _parse_money(raw: Any, path: str) -> Decimal:
    # Strings only (ints and Decimals tolerated): a binary JSON number such as 0.1
    # is not the amount its author wrote.
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        raise ValueError(f"{path}: money must be written as a decimal string, got {raw!r}")
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise ValueError(f"{path}: {raw!r} is not a decimal amount") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{path}: expected a non-negative amount, got {raw!r}")
    if amount != to_money(amount):
        raise ValueError(f"{path}: {raw!r} has more than 2 decimal places")
    return to_money(amount)


def _object(raw: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: expected an object, got {raw!r}")
    return raw


def _required(data: Mapping[str, Any], key: str, parent: str) -> Any:
    try:
        return data[key]
    except KeyError:
        raise ValueError(f"{parent + '.' if parent else ''}{key}: missing") from None


def _reject_unknown_keys(data: Mapping[str, Any], allowed: set[str], parent: str) -> None:
    # A misspelt key silently ignored would price every job with the wrong fee.
    unknown = sorted(set(data) - allowed)
    if unknown:
        where = f"{parent}." if parent else ""
        raise ValueError(f"{where}{unknown[0]}: unknown key (expected one of {sorted(allowed)})")
