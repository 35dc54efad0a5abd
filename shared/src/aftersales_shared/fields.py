"""Marshmallow fields for the wire formats every service shares.

Money and RFC 3339 times; and the field types a service's boundary is built from, each refusing with a
field error what the database behind it could not hold (PostgreSQL is the stricter one: no NUL character in
text, 4-byte integers), so bad input is a 400 naming the field and never a 500 from the database.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from marshmallow import ValidationError, fields, validate

from .timeutil import parse_rfc3339, to_rfc3339
from .vocabulary import CODE_MESSAGE, CODE_PATTERN

CENT = Decimal("0.01")
INT4_MIN, INT4_MAX = -(2**31), 2**31 - 1
# What neither database can store in a text column: NUL (PostgreSQL) and lone surrogates (not UTF-8 at all).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
NO_NUL_PATTERN = "^[^\\x00]*$"


def money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Money(fields.String):
    """Decimal inside, a two-place string on the wire; a float is refused so no rounding error sneaks in.

    ``integer_digits`` bounds the amount to what its column holds, ``signed=False`` refuses a negative one;
    both are part of the pattern the field documents, so the API description says exactly what is accepted.
    """

    def __init__(self, *, integer_digits: int | None = None, signed: bool = True, **kwargs):
        digits = "+" if integer_digits is None else f"{{1,{integer_digits}}}"
        self.pattern = re.compile(f"^{'-?' if signed else ''}[0-9]{digits}\\.[0-9]{{2}}$")
        limits = ("" if signed else ", not negative") + (
            "" if integer_digits is None else f", at most {integer_digits} digits before the point")
        self.message = f'Must be a decimal string with two places{limits}, e.g. "120.00".'
        kwargs.setdefault("metadata", {}).setdefault("pattern", self.pattern.pattern)
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return str(money(Decimal(value)))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not self.pattern.match(value):
            raise ValidationError(self.message)
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


class Timestamp(fields.String):
    """Timezone-aware UTC inside, RFC 3339 with an offset on the wire."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("format", "date-time")
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_rfc3339(value)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Must be an RFC 3339 date-time string.")
        try:
            return parse_rfc3339(value)
        except (ValueError, OverflowError) as exc:
            # OverflowError: a time at the edge of the calendar whose offset moves it past year 1 or 9999.
            raise ValidationError("Must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T09:30:00Z.") from exc


class Text(fields.String):
    """A string a database can store: no NUL character, no unpaired surrogate, at most ``max_length`` long.

    ``max_length`` is the size of the column it ends up in, so a value too long to store is refused here.
    """

    default_error_messages = {"unstorable": "Must not contain NUL characters or unpaired surrogates."}

    def __init__(self, max_length: int, *, min_length: int = 0, **kwargs):
        validators = [validate.Length(min=min_length or None, max=max_length)]
        extra = kwargs.pop("validate", None)
        validators += list(extra) if isinstance(extra, (list, tuple)) else [extra] if extra else []
        if not any(isinstance(v, validate.Regexp) for v in validators):
            kwargs.setdefault("metadata", {}).setdefault("pattern", NO_NUL_PATTERN)
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if _UNSTORABLE.search(text):
            raise self.make_error("unstorable")
        return text


class Code(fields.String):
    """A region or site (service point) code, as in the envelope and every routing key.

    The pattern bounds the length and leaves no room for a character a database could not store.
    """

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Regexp(CODE_PATTERN, error=CODE_MESSAGE), **kwargs)


class Choice(fields.String):
    """One of a closed list of words; the list is documented as the field's enum."""

    def __init__(self, choices, **kwargs):
        super().__init__(validate=validate.OneOf(choices), **kwargs)


class Integer(fields.Integer):
    """A whole number within bounds a 4-byte column holds; in a JSON body given as one, never a float or a
    string. A query string has only strings: pass ``strict=False`` there."""

    def __init__(self, minimum: int = INT4_MIN, maximum: int = INT4_MAX, *, strict: bool = True, **kwargs):
        if not INT4_MIN <= minimum <= maximum <= INT4_MAX:
            raise ValueError(f"bounds {minimum}..{maximum} do not fit a 4-byte integer")
        super().__init__(strict=strict, validate=validate.Range(minimum, maximum), **kwargs)


class Boolean(fields.Boolean):
    """``true`` or ``false`` only; 0, 1, "yes" and the like are refused rather than guessed at."""

    def _deserialize(self, value, attr, data, **kwargs):
        # By type: 1 == True in Python, so the truthy and falsy sets alone would let 0 and 1 in.
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value
