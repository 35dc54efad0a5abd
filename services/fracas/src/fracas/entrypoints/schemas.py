"""HTTP bodies and queries of FRACAS's API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates, validates_schema

from aftersales_shared.boundary import Integer, Money, Text, Timestamp

from .analysis_schemas import WeibullBoundsOut  # noqa: F401  (named in WeibullOut)

MAX_UNITS_PER_REQUEST = 10_000


def _name(**kwargs) -> Text:
    return Text(100, min_length=1, **kwargs)


class InstalledUnitIn(Schema):
    """One unit; load a whole registration with ``InstalledUnitIn(many=True)``."""

    serial = _name(required=True)
    model = _name(required=True)
    category = _name(required=True)
    purchase_date = fields.Date(required=True)
    batch = Text(100, load_default=None, allow_none=True)

    @validates("purchase_date")
    def _not_in_future(self, value, **_):
        # One day of slack: the seller's calendar may already be on tomorrow.
        if value > datetime.now(timezone.utc).date() + timedelta(days=1):
            raise ValidationError("Purchase date cannot be in the future.")

    @pre_load(pass_collection=True)
    def _bounded_array(self, data, many, **_):
        if many and (not isinstance(data, list) or not 1 <= len(data) <= MAX_UNITS_PER_REQUEST):
            raise ValidationError({"body": [f"Must be a JSON array of 1 to {MAX_UNITS_PER_REQUEST} units."]})
        return data

    @validates_schema(pass_collection=True, skip_on_field_errors=False)
    def _serials_once(self, data, many, **_):
        if not many:
            return
        first_seen: dict[str, int] = {}
        errors = {}
        for index, unit in enumerate(data):
            # An item that is no unit at all has been reported already; it has no serial to compare.
            serial = unit.get("serial") if isinstance(unit, dict) else None
            if not isinstance(serial, str):
                continue
            if serial in first_seen:
                errors[index] = {"serial": [f"Repeats the serial of item {first_seen[serial]}."]}
            else:
                first_seen[serial] = index
        if errors:
            raise ValidationError(errors)


class RegisteredOut(Schema):
    registered = fields.Integer()


class WeibullQuery(Schema):
    model = _name(required=True)
    part_no = Text(64, min_length=1, load_default=None,
                   metadata={"description": "Only failures of this part count; all other units are suspensions."})
    as_of = fields.Date(load_default=None, metadata={"description": "Defaults to today (UTC)."})
    confidence = fields.Float(load_default=0.90, validate=validate.Range(0.5, 0.9999))
    sides = Integer(1, 2, strict=False, load_default=2)


class WeibullOut(Schema):
    model = fields.String()
    as_of = fields.Date()
    beta = fields.Float(metadata={"description": "Shape."})
    eta = fields.Float(metadata={"description": "Scale (characteristic life), days."})
    failures = fields.Integer()
    suspensions = fields.Integer()
    log_likelihood = fields.Float()
    b10_days = fields.Float(metadata={"description": "Age by which 10% of units have failed."})
    skipped = fields.Integer(metadata={"description": "Failed units left out: their age is unknown."})
    skipped_reasons = fields.Dict(keys=fields.String(), values=fields.Integer())
    part_no = fields.String(allow_none=True)
    mean_life_days = fields.Float()
    bounds = fields.Nested(WeibullBoundsOut, allow_none=True)


class FailuresQuery(Schema):
    ticket_id = Text(64, min_length=1, required=True)


class ProductOut(Schema):
    model = fields.String()
    serial = fields.String()
    category = fields.String(allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    batch = fields.String(allow_none=True)


class FailureDetailOut(Schema):
    symptom_code = fields.String(allow_none=True)
    failure_mode = fields.String(allow_none=True)
    cause_code = fields.String(allow_none=True)
    failed_part_no = fields.String(allow_none=True)
    description = fields.String()


class PartUsedOut(Schema):
    part_no = fields.String()
    qty = fields.Integer()
    faulty_serial = fields.String(allow_none=True)
    new_serial = fields.String(allow_none=True)


class CostOut(Schema):
    settlement_id = fields.String()
    currency = fields.String(allow_none=True)
    customer = Money()
    manufacturer = Money()
    total = Money()
    posted_at = Timestamp(allow_none=True)


class FailureRecordOut(Schema):
    work_order_id = fields.String()
    ticket_id = fields.String()
    engineer_id = fields.String()
    outcome = fields.String()
    counts_as_failure = fields.Boolean()
    completed_at = Timestamp()
    first_open_failure = fields.Boolean(allow_none=True, metadata={"description": "Null until the ticket is known."})
    warranty_status = fields.String(allow_none=True)
    failure = fields.Nested(FailureDetailOut)
    product = fields.Nested(ProductOut)
    parts_used = fields.List(fields.Nested(PartUsedOut))
    cost = fields.Nested(CostOut, allow_none=True, metadata={"description": "Null until billing posts it."})
    site = fields.String(allow_none=True)
    region = fields.String(allow_none=True)
    doa = fields.Boolean(metadata={"description": "Failed at first opening (known once the ticket is)."})
    repeat_of = fields.String(allow_none=True, metadata={"description": "Ticket of the repair this one repeats."})
    relevant = fields.Boolean(metadata={"description": "A product failure: failing outcome, not no-fault-found."})
    chargeable = fields.Boolean(metadata={"description": "Relevant and not physical damage or misuse."})
