"""HTTP bodies of billing's API."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import Code, Money, Text, Timestamp

from ..domain.periods import PERIOD_PATTERN
from .events import SettlementPostedV1

_PERIOD = dict(validate=validate.Regexp(PERIOD_PATTERN, error="Must be a month, YYYY-MM."))


class SettlementQuery(Schema):
    ticket_id = Text(64, min_length=1, required=True)


class SettlementPath(Schema):
    settlement_id = Text(64, min_length=1, required=True)


class SettlementOut(SettlementPostedV1):
    """A settlement reads exactly as the SettlementPosted event that announced it."""


class AtQuery(Schema):
    at = Timestamp(metadata={"description": "The moment whose schedule is wanted; now when left out."})


class TravelBandOut(Schema):
    up_to_km = fields.String(allow_none=True)
    fee = Money()


class PenaltiesOut(Schema):
    missing_signature = Money()
    failed_callback = Money()
    sla_breach = Money()
    repeat_clawback = fields.Boolean()


class FeeScheduleOut(Schema):
    """One version, with the keys of a version in the schedule file."""

    currency = fields.String()
    version = fields.Integer()
    effective_from = Timestamp(allow_none=True)
    hourly_rate = Money()
    minimum_call_out = Money()
    inspection_fee = Money()
    shipping = Money()
    insurance = Money()
    travel_bands = fields.List(fields.Nested(TravelBandOut))
    warranty_labour = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=Money()))
    penalties = fields.Nested(PenaltiesOut)


class PartPath(Schema):
    part_no = Text(64, min_length=1, required=True)


class PartPriceOut(Schema):
    part_no = fields.String()
    description = fields.String()
    category = fields.String()
    unit_cost = Money()
    list_price = Money(allow_none=True)
    returnable = fields.Boolean()
    revision = fields.Integer()
    effective_at = Timestamp()


class AwaitingOut(Schema):
    ticket_id = fields.String(attribute="job.ticket_id")
    work_order_id = fields.String(attribute="job.work_order_id")
    payee = fields.String(attribute="job.payee")
    warranty_status = fields.String(attribute="job.warranty_status")
    completed_at = Timestamp(attribute="job.completed_at")
    waiting_for = fields.List(fields.String(), metadata={"description": "Part numbers without a usable price."})
    since = Timestamp()


class FlagQuery(Schema):
    ticket_id = Text(64, min_length=1)


class FlagOut(Schema):
    flag_id = fields.String()
    ticket_id = fields.String()
    kind = fields.String()
    detail = fields.String()
    raised_at = Timestamp()
    repeat_of = fields.String(allow_none=True)
    penalty_settlement_id = fields.String(allow_none=True)


class PeriodPath(Schema):
    period = fields.String(required=True, **_PERIOD)


class PeriodQuery(Schema):
    period = fields.String(required=True, **_PERIOD)


class StatementPath(Schema):
    payee = Code(required=True)
    period = fields.String(required=True, **_PERIOD)


class _FeeLine(Schema):
    service_type = fields.String()
    jobs = fields.Integer()
    labour = fields.String(metadata={"description": "Warranty labour fees"})
    parts = fields.String(metadata={"description": "Parts fitted under warranty, at cost"})
    amount = fields.String(metadata={"description": "Everything the manufacturer pays for these jobs"})


class _Count(Schema):
    jobs = fields.Integer()
    amount = fields.String()


class _Late(_Count):
    tickets = fields.List(fields.String())


class _Penalty(Schema):
    ticket_id = fields.String()
    description = fields.String()
    amount = fields.String()


class _Deposit(Schema):
    description = fields.String()
    amount = fields.String()


class StatementOut(Schema):
    payee = fields.String()
    period = fields.String()
    currency = fields.String()
    status = fields.String(metadata={"description": "open (provisional) or issued (frozen)"})
    issued_at = fields.String(allow_none=True)
    fee_summary = fields.List(fields.Nested(_FeeLine))
    warranty_total = fields.String()
    out_of_warranty = fields.Nested(_Count)
    late_adjustments = fields.Nested(_Late)
    penalties = fields.List(fields.Nested(_Penalty))
    penalties_total = fields.String()
    deposits = fields.List(fields.Nested(_Deposit))
    deposits_total = fields.String()
    net_payable = fields.String()


class StatisticsOut(Schema):
    period = fields.String()
    site = fields.String()
    category = fields.String()
    jobs = fields.Integer()
    warranty_jobs = fields.Integer()
    out_of_warranty_jobs = fields.Integer()
    fees = fields.String()
    customer_charges = fields.String()
    repaired = fields.Integer()
    repeat_repairs = fields.Integer()
    repair_ratio = fields.String()
    repeat_ratio = fields.String()


class LateQuery(Schema):
    as_of = fields.Date(metadata={"description": "The day to judge lateness on; today when left out."})


class LateOut(Schema):
    period = fields.String()
    document = fields.String()
    due = fields.String()
    issued_on = fields.String(allow_none=True)
    days_late = fields.Integer()


class DepositRequest(Schema):
    payee = Code(required=True)
    amount = Money(integer_digits=10, required=True,
                   metadata={"description": "Paid by the service point (positive) or refunded to it (negative)."})
    description = Text(500, min_length=1, required=True)


class DepositOut(Schema):
    deposit_id = fields.String()
    payee = fields.String()
    period = fields.String(metadata={"description": "The statement it is reconciled on: the month open now."})
    amount = Money()
    description = fields.String()
    recorded_at = Timestamp()


class InvoiceLineOut(Schema):
    kind = fields.String()
    description = fields.String()
    part_no = fields.String(allow_none=True)
    qty = fields.String()
    unit_amount = fields.String()
    amount = fields.String()


class InvoiceOut(Schema):
    invoice_no = fields.String()
    settlement_id = fields.String()
    ticket_id = fields.String()
    work_order_id = fields.String()
    service_point = fields.String()
    currency = fields.String()
    issued_at = fields.String()
    lines = fields.List(fields.Nested(InvoiceLineOut))
    total = fields.String()
