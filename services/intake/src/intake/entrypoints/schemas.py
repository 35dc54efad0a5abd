"""HTTP bodies of intake's API."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates

from aftersales_shared.boundary import (
    CHANNELS, PRIORITIES, SERVICE_TYPES, Boolean, Choice, Code, Integer, Money, Text, Timestamp,
)

from ..domain.customers import FAULT_KINDS
from ..domain.lifecycle import CALLBACK_OUTCOMES, HANDLING_GROUPS, RESOLUTIONS, STATES
from ..domain.partners import PARTNER_EVENT_TYPES
from ..domain.policies import CONDITIONS, PROOFS


class CustomerIn(Schema):
    name = Text(200, min_length=1, required=True)
    phone = Text(40, min_length=3, required=True)
    address = Text(500, load_default=None, allow_none=True)


class ProductIn(Schema):
    model = Text(100, min_length=1, required=True)
    serial = Text(100, min_length=1, required=True)
    category = Text(100, min_length=1, required=True)
    purchase_date = fields.Date(required=True, allow_none=True)
    batch = Text(100, load_default=None, allow_none=True)
    proof_of_purchase = Choice(PROOFS, load_default=None, allow_none=True, metadata={
        "description": "Proof seen on the call; left out with a purchase_date it counts as seen, 'none' as missing."})

    @validates("purchase_date")
    def _not_in_future(self, value, **_):
        # One day of slack: the customer's calendar may already be on tomorrow.
        if value is not None and value > datetime.now(timezone.utc).date() + timedelta(days=1):
            raise ValidationError("Purchase date cannot be in the future.")


class FaultIn(Schema):
    symptom_code = Text(100, load_default=None, allow_none=True)
    description = Text(4000, min_length=1, required=True)
    first_open_failure = Boolean(required=True)
    kind = Choice(FAULT_KINDS, load_default="hardware", metadata={
        "description": "Decides the repeat-call window: 72 h for software, 7 days for hardware."})
    conditions = fields.List(Choice(CONDITIONS), load_default=list, validate=validate.Length(max=10), metadata={
        "description": "Conditions found on the unit; those the category's policy names void its warranty."})


class PartIn(Schema):
    part_no = Text(64, min_length=1, required=True)
    qty = Integer(1, 1000, required=True)


class TicketRequest(Schema):
    channel = Choice(CHANNELS, required=True)
    service_type = Choice(SERVICE_TYPES, required=True)
    priority = Choice(PRIORITIES, load_default="P3")
    site = Code(required=True)
    region = Code(required=True)
    customer = fields.Nested(CustomerIn, required=True)
    product = fields.Nested(ProductIn, required=True)
    fault = fields.Nested(FaultIn, required=True)
    parts = fields.List(fields.Nested(PartIn), load_default=list, validate=validate.Length(max=50))
    quote_required = Boolean(load_default=None, allow_none=True, metadata={
        "description": "Wait for a quote and its acceptance before dispatch; left out, the site's policy decides "
                       "for an out-of-warranty ticket."})
    diagnose_first = Boolean(load_default=False, metadata={
        "description": "Open the ticket in `diagnosing`: solved on the phone (no TicketCreated, no work order) "
                       "or sent on with POST .../dispatch."})
    operator = Text(100, min_length=1, load_default="desk", metadata={"description": "Who takes the call."})

    @validates("parts")
    def _distinct_parts(self, parts, **_):
        # Runs even when an item failed its own validation; such an item has already been reported, and
        # whatever it holds in place of a part number is no part number to compare.
        seen = [part.get("part_no") for part in parts if isinstance(part, dict)]
        seen = [part_no for part_no in seen if isinstance(part_no, str)]
        duplicates = sorted({p for p in seen if seen.count(p) > 1})
        if duplicates:
            raise ValidationError(f"Each part_no once per ticket; repeated: {', '.join(duplicates)}.")


class ChangeOut(Schema):
    from_ = fields.String(data_key="from", attribute="from")
    to = fields.String()
    by = fields.String()
    why = fields.String()


class TimelineEntryOut(Schema):
    event_id = fields.String()
    type = fields.String()
    occurred_at = Timestamp()
    source = fields.String()
    detail = fields.Dict()
    change = fields.Nested(ChangeOut, allow_none=True, metadata={
        "description": "When this entry moved the ticket: the audit line (who, from, to, why)."})


class WarrantyOut(Schema):
    status = fields.String()
    expires_on = fields.Date(allow_none=True)
    reason = fields.String(allow_none=True)


class QuoteOut(Schema):
    amount = Money()
    valid_until = Timestamp()
    issued_at = Timestamp()
    accepted_at = Timestamp(allow_none=True)


class EscalationOut(Schema):
    group = fields.String()
    deadline = Timestamp()
    reason = fields.String()
    since = Timestamp()


class SlaOut(Schema):
    respond_by = Timestamp()
    resolve_by = Timestamp()


class CustomerOut(CustomerIn):
    customer_id = fields.String()


class TicketOut(Schema):
    id = fields.String()
    ticket_no = fields.String()
    status = fields.String()
    channel = fields.String()
    partner_id = fields.String(allow_none=True)
    service_type = fields.String()
    priority = fields.String()
    site = fields.String()
    region = fields.String()
    customer = fields.Nested(CustomerOut)
    product = fields.Nested(ProductIn)
    fault = fields.Nested(FaultIn)
    parts = fields.List(fields.Nested(PartIn))
    warranty = fields.Nested(WarrantyOut)
    sla = fields.Nested(SlaOut)
    created_at = Timestamp()
    state = Choice(STATES)
    quote_required = fields.Boolean()
    repeat_of = fields.String(allow_none=True)
    doa = fields.Boolean()
    parts_reserved = fields.Boolean()
    quote = fields.Nested(QuoteOut, allow_none=True)
    escalation = fields.Nested(EscalationOut, allow_none=True)
    callback_attempts = fields.Integer()
    resolution = fields.String(allow_none=True)
    kb_article_id = fields.String(allow_none=True)
    timeline = fields.List(fields.Nested(TimelineEntryOut))


class TicketPath(Schema):
    ticket_id = Text(64, min_length=1, required=True)


# -- operator actions -------------------------------------------------------------------------------------

class ActionIn(Schema):
    operator = Text(100, min_length=1, load_default="desk")
    reason = Text(1000, load_default="")


class CancelIn(ActionIn):
    reason = Text(1000, min_length=1, required=True)


class ResolveIn(ActionIn):
    article_id = Text(36, min_length=1, load_default=None, allow_none=True)


class QuoteIn(Schema):
    amount = Money(integer_digits=10, signed=False, required=True)
    valid_until = Timestamp(required=True)
    operator = Text(100, min_length=1, load_default="desk")


class CallbackIn(Schema):
    outcome = Choice(CALLBACK_OUTCOMES, required=True)
    score = Integer(1, 5, load_default=None, allow_none=True, metadata={
        "description": "The customer's score; null when they would not give one."})
    remarks = Text(2000, load_default=None, allow_none=True)
    operator = Text(100, min_length=1, load_default="desk")


class CloseIn(ActionIn):
    resolution = Choice(RESOLUTIONS, required=True)


class ComplaintIn(Schema):
    group = Choice(HANDLING_GROUPS, required=True)
    deadline = Timestamp(required=True)
    reason = Text(1000, min_length=1, required=True)
    operator = Text(100, min_length=1, load_default="desk")


# -- partners ---------------------------------------------------------------------------------------------

class PartnerIn(Schema):
    partner_id = Text(64, min_length=1, required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9_-]+$", error="Letters, digits, '_' or '-' only."))
    name = Text(200, min_length=1, required=True)
    sites = fields.List(Code(), required=True, validate=validate.Length(1, 200))
    event_types = fields.List(Choice(PARTNER_EVENT_TYPES), required=True, validate=validate.Length(1, 2))


class PartnerPath(Schema):
    partner_id = Text(64, min_length=1, required=True)


class SecretOut(Schema):
    partner_id = fields.String()
    secret = fields.String(metadata={"description": "Shown this once; store it in the dealer's secret store."})


class AcceptedOut(Schema):
    id = fields.String()
    replayed = fields.Boolean()


class ProofIn(Schema):
    purchase_date = fields.Date(required=True)
    proof_of_purchase = Choice(PROOFS, required=True)
    operator = Text(100, min_length=1, load_default="desk")

    @validates("purchase_date")
    def _not_in_future(self, value, **_):
        if value > datetime.now(timezone.utc).date() + timedelta(days=1):
            raise ValidationError("Purchase date cannot be in the future.")
