"""The fee schedule billing prices repairs with, and the money arithmetic it relies on."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Mapping

from aftersales_shared.vocabulary import CURRENCY_PATTERN, SERVICE_TYPES

CENT = Decimal("0.01")
DEFAULT_CATEGORY = "default"

_CURRENCY = re.compile(CURRENCY_PATTERN)
_SCHEDULE_KEYS = {"currency", "warranty_labour", "hourly_rate", "minimum_call_out", "parts"}
_PART_KEYS = {"cost", "list_price", "description"}


def to_money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class PricingError(Exception):
    """A job the schedule cannot price; booking a guessed amount would be worse than refusing."""


class UnpricedPart(PricingError):
    def __init__(self, part_no: str):
        super().__init__(f"part {part_no!r} has no price in the fee schedule")
        self.part_no = part_no


class NoLabourRate(PricingError):
    def __init__(self, category: str, service_type: str):
        super().__init__(
            f"no warranty labour fee for category {category!r}, service type {service_type!r}"
        )
        self.category = category
        self.service_type = service_type


@dataclass(frozen=True)
class PartPrice:
    cost: Decimal
    list_price: Decimal
    description: str = ""


@dataclass(frozen=True)
class FeeSchedule:
    currency: str
    warranty_labour: Mapping[str, Mapping[str, Decimal]]
    hourly_rate: Decimal
    minimum_call_out: Decimal
    parts: Mapping[str, PartPrice] = field(default_factory=dict)

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

    def part_price(self, part_no: str) -> PartPrice:
        try:
            return self.parts[part_no]
        except KeyError:
            raise UnpricedPart(part_no) from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FeeSchedule:
        """Build a schedule from parsed JSON; every problem is a ValueError naming the key."""
        if not isinstance(data, Mapping):
            raise ValueError("fee schedule: expected an object")
        _reject_unknown_keys(data, _SCHEDULE_KEYS, "")
        currency = _required(data, "currency", "")
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise ValueError(f"currency: expected a 3-letter upper-case code, got {currency!r}")
        return cls(
            currency=currency,
            warranty_labour=_parse_labour(_required(data, "warranty_labour", "")),
            hourly_rate=_parse_money(_required(data, "hourly_rate", ""), "hourly_rate"),
            minimum_call_out=_parse_money(
                _required(data, "minimum_call_out", ""), "minimum_call_out"
            ),
            parts=_parse_parts(_required(data, "parts", "")),
        )


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


def _parse_parts(raw: Any) -> Mapping[str, PartPrice]:
    table = _object(raw, "parts")
    parts = {}
    for part_no, price in table.items():
        path = f"parts.{part_no}"
        if not isinstance(part_no, str) or not part_no.strip():
            raise ValueError(f"{path}: part number must not be blank")
        price = _object(price, path)
        _reject_unknown_keys(price, _PART_KEYS, path)
        description = price.get("description", "")
        if not isinstance(description, str):
            raise ValueError(f"{path}.description: expected a string")
        parts[part_no] = PartPrice(
            cost=_parse_money(_required(price, "cost", path), f"{path}.cost"),
            list_price=_parse_money(_required(price, "list_price", path), f"{path}.list_price"),
            description=description,
        )
    return MappingProxyType(parts)


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
