"""Marshmallow fields for the wire formats every service shares: money, RFC 3339 times."""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
import re

from marshmallow import ValidationError, fields

from .timeutil import parse_rfc3339, to_rfc3339

CENT = Decimal("0.01")
_MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Money(fields.Field):
    """Decimal inside, a two-place string on the wire; a float is refused so no rounding error sneaks in."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(money(Decimal(value)))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _MONEY.match(value):
            raise ValidationError('Must be a decimal string with two places, e.g. "120.00".')
        return Decimal(value)


class DecimalString(fields.Field):
    """A decimal that must arrive as a string or integer (never a float) and leaves as a string."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else str(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError("Must be a decimal string, e.g. \"12.50\".")
        try:
            number = Decimal(value)
        except InvalidOperation as exc:
            raise ValidationError("Not a valid decimal.") from exc
        if not number.is_finite():
            raise ValidationError("Not a valid decimal.")
        return number


class Timestamp(fields.Field):
    """Timezone-aware UTC inside, RFC 3339 with an offset on the wire."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_rfc3339(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Must be an RFC 3339 date-time string.")
        try:
            return parse_rfc3339(value)
        except ValueError as exc:
            raise ValidationError("Must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T09:30:00Z.") from exc
