"""The partner dealer gateway's HTTP side: registration, secret rotation, and signed events in."""
from __future__ import annotations

from flask import current_app, jsonify, request
from flask.views import MethodView
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy.exc import IntegrityError

from aftersales_shared.boundary import (
    OUTCOMES, SERVICE_TYPES, WARRANTY_STATUSES, Blueprint, Choice, ERROR, EventReader, Text, Timestamp,
)
from aftersales_shared.envelope import Envelope

from ..domain.partners import Partner
from ..domain.policies import Sla, Warranty
from ..domain.tickets import Customer, Fault, PartRequest, Product, Ticket
from ..service_layer import partners as gateway
from .events import TicketCreatedV1
from .schemas import AcceptedOut, PartnerIn, PartnerPath, SecretOut

partner_api = Blueprint("partners", __name__, url_prefix="/api/v1", description="Partner dealers")


class _UsedPart(EventReader):
    part_no = Text(64, min_length=1, required=True)
    qty = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class _Failure(EventReader):
    symptom_code = fields.String(required=True, allow_none=True)
    failure_mode = fields.String(required=True, allow_none=True)
    failed_part_no = fields.String(required=True, allow_none=True)
    description = fields.String(required=True, validate=validate.Length(max=4000))


class _RepairedProduct(EventReader):
    model = fields.String(required=True)
    serial = fields.String(required=True)
    category = fields.String(required=True)
    purchase_date = fields.Date(required=True, allow_none=True)


class DealerRepairCompleted(EventReader):
    """RepairCompleted v1 as a dealer posts it: what billing, inventory and fracas will rely on."""

    ticket_id = Text(64, min_length=1, required=True)
    work_order_id = fields.String(required=True, validate=validate.Length(min=1))
    engineer_id = fields.String(required=True, validate=validate.Length(min=1))
    service_type = Choice(SERVICE_TYPES, required=True)
    outcome = Choice(OUTCOMES, required=True)
    completed_at = Timestamp(required=True)
    labour_minutes = fields.Integer(required=True, strict=True, validate=validate.Range(0, 10080))
    parts_used = fields.List(fields.Nested(_UsedPart), required=True)
    failure = fields.Nested(_Failure, required=True)
    warranty_status = Choice(WARRANTY_STATUSES, required=True)
    product = fields.Nested(_RepairedProduct, required=True)


class DealerTicketCreated(TicketCreatedV1):
    """TicketCreated v1 as a dealer posts it; the ticket is kept here too, so its id must fit intake's."""

    ticket_id = Text(36, min_length=1, required=True)


_TICKET_CREATED = DealerTicketCreated()
_DATA: dict[str, Schema] = {"TicketCreated": _TICKET_CREATED, "RepairCompleted": DealerRepairCompleted()}


def data_errors(envelope: Envelope) -> dict | None:
    if envelope.type not in _DATA:
        return {"type": [f"Partners post {', '.join(_DATA)} only."]}
    try:
        _DATA[envelope.type].load(envelope.data, unknown=EXCLUDE)
        errors = {}
    except ValidationError as exc:
        errors = exc.messages
    if not errors and envelope.type == "TicketCreated" and envelope.data.get("channel") != "dealer":
        errors = {"channel": ["A ticket a dealer opens has channel 'dealer'."]}
    return errors or None


def dealer_ticket(envelope: Envelope) -> Ticket | None:
    """The ticket a dealer's TicketCreated opens, as intake keeps its own (valid data: checked before)."""
    if envelope.type != "TicketCreated":
        return None
    d = _TICKET_CREATED.load(envelope.data, unknown=EXCLUDE)
    customer, product, fault = d["customer"], d["product"], d["fault"]
    return Ticket(
        id=d["ticket_id"], ticket_no=f"P-{d['ticket_id']}", channel=d["channel"], service_type=d["service_type"],
        priority=d["priority"], site=envelope.site, region=envelope.region,
        customer=Customer(customer["customer_id"], customer["name"], customer["phone"], customer.get("address")),
        product=Product(product["model"], product["serial"], product["category"], product["purchase_date"],
                        product.get("batch")),
        fault=Fault(fault["description"], fault["first_open_failure"], fault.get("symptom_code")),
        parts=[PartRequest(p["part_no"], p["qty"]) for p in d["parts"]],
        warranty=Warranty(d["warranty"]["status"], d["warranty"]["expires_on"], "as the dealer decided"),
        sla=Sla(d["sla"]["respond_by"], d["sla"]["resolve_by"]), created_at=d["created_at"],
        partner_id=d.get("partner_id"), quote_required=d.get("quote_required", False))


def _intake():
    return current_app.extensions["intake"]


def _error(status: int, errors: dict):
    names = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
    return jsonify(code=status, status=names[status], errors=errors), status


_SIGNATURE_HEADERS = [
    {"in": "header", "name": name, "required": False, "schema": {"type": "string"}, "description": text}
    for name, text in (
        ("X-Partner-Id", "The partner's id (contract scheme; Standard Webhooks may name it in `source`)."),
        ("X-Timestamp", "Unix seconds; more than 300 s off is refused."),
        ("X-Signature", 'sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">'),
        ("webhook-id", "Standard Webhooks: message id."),
        ("webhook-timestamp", "Standard Webhooks: Unix seconds."),
        ("webhook-signature", 'Standard Webhooks: "v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">".'),
    )
]
_ENVELOPE_BODY = {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "One event envelope (TicketCreated or RepairCompleted), as the contract says."}}}}


@partner_api.route("/partner/events")
class PartnerEvents(MethodView):
    @partner_api.doc(parameters=_SIGNATURE_HEADERS, requestBody=_ENVELOPE_BODY)
    @partner_api.response(202, AcceptedOut)
    @partner_api.alt_response(400, schema=ERROR, description="The envelope or its data breaks the schema")
    @partner_api.alt_response(401, schema=ERROR, description="Missing or wrong signature, unknown partner, stale time")
    @partner_api.alt_response(403, schema=ERROR, description="An event type or site this partner may not post")
    def post(self):
        """A partner dealer posts one signed envelope; accepted once, published unchanged through the outbox."""
        app = _intake()
        try:
            received = gateway.receive(request.headers, request.get_data(), app.uow_factory(), app.rules.clock(),
                                       data_errors, dealer_ticket)
        except gateway.Refused as refused:
            return _error(refused.status, refused.errors)
        except IntegrityError:
            # The same envelope posted twice at once: the other post took it.
            return {"id": None, "replayed": True}, 202
        return {"id": received.envelope.id, "replayed": received.replayed}, 202


@partner_api.route("/partners")
class Partners(MethodView):
    @partner_api.arguments(PartnerIn)
    @partner_api.response(201, SecretOut)
    @partner_api.alt_response(409, schema=ERROR, description="A partner with this id exists")
    def post(self, body):
        """Register a dealer: the sites and event types it may post. The secret is shown this once."""
        partner = Partner(body["partner_id"], body["name"], tuple(dict.fromkeys(body["sites"])),
                          tuple(dict.fromkeys(body["event_types"])))
        app = _intake()
        try:
            secret = gateway.register(partner, app.uow_factory(), app.rules.clock())
        except (gateway.PartnerExists, IntegrityError):
            return _error(409, {"partner_id": [f"Partner {partner.partner_id} is registered already."]})
        return {"partner_id": partner.partner_id, "secret": secret}, 201


@partner_api.route("/partners/<partner_id>/secrets")
class PartnerSecrets(MethodView):
    @partner_api.arguments(PartnerPath, location="path")
    @partner_api.response(201, SecretOut)
    @partner_api.alt_response(404, schema=ERROR, description="No such partner")
    @partner_api.alt_response(409, schema=ERROR, description="Two secrets are active already")
    def post(self, _path, partner_id):
        """A new secret; the previous one keeps working until it is retired."""
        app = _intake()
        try:
            secret = gateway.rotate(partner_id, app.uow_factory(), app.rules.clock())
        except gateway.PartnerNotFound:
            return _error(404, {"partner_id": [f"No partner {partner_id}."]})
        except gateway.SecretsConflict as conflict:
            return _error(409, {"secrets": [str(conflict)]})
        return {"partner_id": partner_id, "secret": secret}, 201


@partner_api.route("/partners/<partner_id>/secrets/previous")
class PreviousSecret(MethodView):
    @partner_api.arguments(PartnerPath, location="path")
    @partner_api.response(204)
    @partner_api.alt_response(404, schema=ERROR, description="No such partner")
    @partner_api.alt_response(409, schema=ERROR, description="Only one secret is active")
    def delete(self, _path, partner_id):
        """Retire the previous secret: from now on only the newest works."""
        app = _intake()
        try:
            gateway.retire_previous(partner_id, app.uow_factory(), app.rules.clock())
        except gateway.PartnerNotFound:
            return _error(404, {"partner_id": [f"No partner {partner_id}."]})
        except gateway.SecretsConflict as conflict:
            return _error(409, {"secrets": [str(conflict)]})
        return "", 204
