"""Bodies of the analyst's own-data endpoints: POST /reliability/weibull, /growth and /mtbf.

A time item is a number or ``{"time", "count"}``; both load as a (time, count) pair.
"""
from __future__ import annotations

import math

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from aftersales_shared.boundary import Choice, Integer

MAX_ITEMS = 100_000
# Big enough for any test or fleet in hours or days; small enough that powers and sums stay finite.
MAX_TIME = 1e12
MAX_COUNT = 10_000_000

_NUMBER = {"type": "number", "minimum": 0, "maximum": MAX_TIME}
_ITEM_DOC = {"oneOf": [_NUMBER, {
    "type": "object", "required": ["time"], "additionalProperties": False,
    "properties": {"time": _NUMBER, "count": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}},
}]}


def _number(value, what: str) -> float:
    # bool is an int in Python; true is not a time.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{what} must be a number.")
    if value < 0:
        raise ValidationError(f"{what} must not be negative, got {value:g}.")
    if value > MAX_TIME:
        raise ValidationError(f"{what} must be at most {MAX_TIME:g}.")
    return float(value)


class TimeItem(fields.Field):
    """A number, or {"time": number, "count": whole number of units or failures at that time}."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).update(_ITEM_DOC)
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, dict):
            unknown = set(value) - {"time", "count"}
            if unknown:
                raise ValidationError(f"Unknown field(s): {', '.join(sorted(map(str, unknown)))}.")
            if "time" not in value:
                raise ValidationError("An item given as an object needs its time.")
            count = value.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
                raise ValidationError(f"count must be a whole number from 0 to {MAX_COUNT}.")
            return _number(value["time"], "time"), count
        return _number(value, "A time"), 1


def _items(**kwargs):
    return fields.List(TimeItem(), validate=validate.Length(max=MAX_ITEMS), **kwargs)


_CONFIDENCE = dict(load_default=0.90, validate=validate.Range(0.5, 0.9999),
                   metadata={"description": "Confidence level of the bounds, e.g. 0.90."})
_SIDES = dict(load_default=2, metadata={"description": "1: one-sided bounds (each bound alone at the "
                                                        "confidence level); 2: a two-sided interval."})


class WeibullDataIn(Schema):
    failures = _items(required=True, metadata={"description": "Ages at failure."})
    suspensions = _items(load_default=list, metadata={"description": "Ages of units still running."})
    confidence = fields.Float(**_CONFIDENCE)
    sides = Integer(1, 2, **_SIDES)


class _Bounds(Schema):
    lower = fields.Float()
    upper = fields.Float()


class WeibullBoundsOut(Schema):
    confidence = fields.Float()
    sides = fields.Integer()
    beta = fields.Nested(_Bounds)
    eta = fields.Nested(_Bounds)
    b10 = fields.Nested(_Bounds)


class WeibullDataOut(Schema):
    beta = fields.Float(metadata={"description": "Shape."})
    eta = fields.Float(metadata={"description": "Scale (characteristic life), in the unit of the times."})
    log_likelihood = fields.Float()
    b10 = fields.Float(metadata={"description": "Age by which 10% of units have failed."})
    mean_life = fields.Float(metadata={"description": "eta * Gamma(1 + 1/beta)."})
    failures = fields.Integer(metadata={"description": "Failed units."})
    suspensions = fields.Integer(metadata={"description": "Suspended units."})
    bounds = fields.Nested(WeibullBoundsOut, allow_none=True,
                           metadata={"description": "Fisher-matrix bounds; null when they cannot be computed."})


class _Interval(Schema):
    end = fields.Float(required=True, validate=validate.Range(0, MAX_TIME, min_inclusive=False))
    failures = Integer(0, MAX_COUNT, required=True)


class GrowthDataIn(Schema):
    failure_times = _items(load_default=None, metadata={
        "description": "Cumulative time of each failure (with a count when several fail at one time)."})
    end_time = fields.Float(load_default=None, allow_none=True, validate=validate.Range(0, MAX_TIME), metadata={
        "description": "When a time-terminated test ended; without it the test ended at the last failure."})
    intervals = fields.List(fields.Nested(_Interval), load_default=None,
                            validate=validate.Length(max=MAX_ITEMS), metadata={
                                "description": "Grouped data: failures in each interval, by its end time."})

    @validates_schema
    def _one_form(self, data, **_):
        if (data.get("failure_times") is None) == (data.get("intervals") is None):
            raise ValidationError("Give either failure_times or intervals.", "body")
        if data.get("intervals") is not None and data.get("end_time") is not None:
            raise ValidationError("Grouped data end at their last interval.", "end_time")


class GrowthOut(Schema):
    beta = fields.Float(metadata={"description": "Growth shape: below 1 the failure intensity falls."})
    lam = fields.Float(data_key="lambda", metadata={"description": "Scale: expected failures by t = lambda t^beta."})
    failures = fields.Integer()
    end_time = fields.Float()
    terminated = fields.String(metadata={"description": "failure, time or grouped"})
    cumulative_mtbf = fields.Float()
    instantaneous_mtbf = fields.Float()


class MtbfIn(Schema):
    total_time = fields.Float(required=True, validate=validate.Range(0, MAX_TIME, min_inclusive=False))
    failures = Integer(0, MAX_COUNT, required=True)
    confidence = fields.Float(**_CONFIDENCE)
    sides = Integer(1, 2, **_SIDES)
    test = Choice(("time_terminated", "failure_terminated"), load_default="time_terminated")

    @validates_schema
    def _failure_terminated_has_a_failure(self, data, **_):
        if data.get("test") == "failure_terminated" and data.get("failures") == 0:
            raise ValidationError("A failure-terminated test ends at a failure, so it has at least one.", "failures")


class MtbfOut(Schema):
    mtbf = fields.Float(allow_none=True, metadata={"description": "Null when there was no failure."})
    lower = fields.Float()
    upper = fields.Float(allow_none=True, metadata={"description": "Null for one-sided bounds or no failures."})
