"""billing's HTTP API: settlements are booked from events; the clerk reads, exports and closes periods."""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from aftersales_shared.boundary import ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay
from aftersales_shared.idempotency import Answer, Replayed

from ..adapters.documents import invoice_pdf, statement_csv, statement_pdf
from ..domain.fees import NoScheduleInForce
from aftersales_shared.vocabulary import CUSTOMER
from ..domain.statements import invoice
from ..service_layer import statements as clerk
from .schemas import (
    AtQuery, AwaitingOut, DepositOut, DepositRequest, FeeScheduleOut, FlagOut, FlagQuery, InvoiceOut, LateOut, LateQuery, PartPath,
    PartPriceOut, PeriodPath, PeriodQuery, SettlementOut, SettlementPath, SettlementQuery, StatementOut,
    StatementPath, StatisticsOut,
)

settlements = Blueprint("settlements", __name__, url_prefix="/api/v1/settlements", description="Booked settlements")
fee_schedule = Blueprint("fee_schedule", __name__, url_prefix="/api/v1", description="Fee schedule versions")
prices = Blueprint("prices", __name__, url_prefix="/api/v1", description="Part prices replicated from inventory")
compliance = Blueprint("compliance", __name__, url_prefix="/api/v1/compliance-flags",
                       description="Jobs that broke the rules")
statements = Blueprint("statements", __name__, url_prefix="/api/v1", description="Monthly statements and statistics")

PDF = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
CSV = {"text/csv": {"schema": {"type": "string"}}}


def _billing():
    return current_app.extensions["billing"]


def _reader():
    return _billing().uow_factory(read_only=True)


@settlements.route("")
class SettlementsOfTicket(MethodView):
    @settlements.arguments(SettlementQuery, location="query")
    @settlements.response(200, SettlementOut(many=True))
    def get(self, query):
        """The settlements of one ticket, oldest first (one per work order, and any penalty on it)."""
        with _reader() as uow:
            return uow.settlements.for_ticket(query["ticket_id"])


def _settlement(settlement_id: str):
    with _reader() as uow:
        settlement = uow.settlements.get(settlement_id)
    if settlement is None:
        abort(404, errors={"settlement_id": [f"No settlement {settlement_id}."]})
    return settlement


@settlements.route("/<settlement_id>")
class SettlementById(MethodView):
    @settlements.arguments(SettlementPath, location="path")
    @settlements.response(200, SettlementOut)
    @settlements.alt_response(404, schema=ERROR, description="No such settlement")
    def get(self, _path, settlement_id):
        """One settlement with its lines and totals."""
        return _settlement(settlement_id)


def _invoice(settlement_id: str) -> dict:
    settlement = _settlement(settlement_id)
    if not any(line.payer == CUSTOMER for line in settlement.lines):
        abort(404, errors={"settlement_id": [f"Settlement {settlement_id} charges the customer nothing: no invoice."]})
    return invoice(settlement)


@settlements.route("/<settlement_id>/invoice")
class CustomerInvoice(MethodView):
    @settlements.arguments(SettlementPath, location="path")
    @settlements.response(200, InvoiceOut)
    @settlements.alt_response(404, schema=ERROR, description="No such settlement, or nothing for the customer to pay")
    def get(self, _path, settlement_id):
        """The customer's invoice for an out-of-warranty job."""
        return _invoice(settlement_id)


@settlements.route("/<settlement_id>/invoice.pdf")
class CustomerInvoicePdf(MethodView):
    @settlements.arguments(SettlementPath, location="path")
    @settlements.response(200, content_type="application/pdf", description="The invoice as PDF")
    @settlements.alt_response(404, schema=ERROR, description="No such settlement, or nothing for the customer to pay")
    def get(self, _path, settlement_id):
        """The customer's invoice as a PDF."""
        return Response(invoice_pdf(_invoice(settlement_id)), mimetype="application/pdf")


@fee_schedule.route("/fee-schedule")
class FeeScheduleInForce(MethodView):
    @fee_schedule.arguments(AtQuery, location="query")
    @fee_schedule.response(200, FeeScheduleOut)
    @fee_schedule.alt_response(404, schema=ERROR, description="No version in force at that moment")
    def get(self, query):
        """The version of the fee schedule in force now, or at ``at``."""
        moment = query.get("at") or _billing().rules.clock()
        try:
            return _billing().rules.schedules.in_force(moment)
        except NoScheduleInForce as error:
            abort(404, errors={"at": [str(error)]})


@fee_schedule.route("/fee-schedules")
class FeeScheduleVersions(MethodView):
    @fee_schedule.response(200, FeeScheduleOut(many=True))
    def get(self):
        """Every version, oldest first: a job is priced with the one in force when it was completed."""
        return list(_billing().rules.schedules.versions)


@prices.route("/part-prices")
class PartPrices(MethodView):
    @prices.response(200, PartPriceOut(many=True))
    def get(self):
        """The newest price of every part inventory has published."""
        with _reader() as uow:
            return uow.prices.current()


@prices.route("/part-prices/<part_no>")
class PartPriceHistory(MethodView):
    @prices.arguments(PartPath, location="path")
    @prices.response(200, PartPriceOut(many=True))
    def get(self, _path, part_no):
        """Every revision billing holds of one part, oldest first (empty: nothing published yet)."""
        with _reader() as uow:
            return uow.prices.history(part_no)


@prices.route("/awaiting-price")
class AwaitingPrice(MethodView):
    @prices.response(200, AwaitingOut(many=True))
    def get(self):
        """Completed jobs held until inventory publishes a price they need, and which parts they wait for."""
        with _reader() as uow:
            return uow.awaiting.list()


@compliance.route("")
class ComplianceFlags(MethodView):
    @compliance.arguments(FlagQuery, location="query")
    @compliance.response(200, FlagOut(many=True))
    def get(self, query):
        """Flags raised (no signature, failed callback, repeat repair) and the penalty booked for each."""
        with _reader() as uow:
            if "ticket_id" in query:
                return uow.flags.for_ticket(query["ticket_id"])
            return uow.flags.list()


@statements.route("/statements")
class StatementsOfPeriod(MethodView):
    @statements.arguments(PeriodQuery, location="query")
    @statements.response(200, StatementOut(many=True))
    def get(self, query):
        """Every payee's statement of one month: as issued if closed, as it stands if open."""
        with _reader() as uow:
            return clerk.statements_of(uow, _billing().rules, query["period"])


@statements.route("/statements/<payee>/<period>")
class OneStatement(MethodView):
    @statements.arguments(StatementPath, location="path")
    @statements.response(200, StatementOut)
    def get(self, _path, payee, period):
        """One payee's statement of one month."""
        with _reader() as uow:
            return clerk.statement_of(uow, _billing().rules, payee, period)


@statements.route("/statements/<payee>/<period>.csv")
class StatementCsv(MethodView):
    @statements.arguments(StatementPath, location="path")
    @statements.response(200, content_type="text/csv", description="The statement as CSV")
    def get(self, _path, payee, period):
        """The statement as CSV, one figure a row."""
        with _reader() as uow:
            body = clerk.statement_of(uow, _billing().rules, payee, period)
        return Response(statement_csv(body), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="statement-{payee}-{period}.csv"'})


@statements.route("/statements/<payee>/<period>.pdf")
class StatementPdf(MethodView):
    @statements.arguments(StatementPath, location="path")
    @statements.response(200, content_type="application/pdf", description="The statement as PDF")
    def get(self, _path, payee, period):
        """The statement as a PDF document."""
        with _reader() as uow:
            body = clerk.statement_of(uow, _billing().rules, payee, period)
        return Response(statement_pdf(body), mimetype="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="statement-{payee}-{period}.pdf"'})


@statements.route("/periods/<period>/close")
class ClosePeriod(MethodView):
    @statements.arguments(PeriodPath, location="path")
    @statements.response(200, StatementOut(many=True))
    @statements.alt_response(409, schema=ERROR, description="Closed already, or the month is not over")
    def post(self, _path, period):
        """Issues every payee's statement of the month and freezes it; later events land in the next month."""
        with _billing().uow_factory() as uow:
            try:
                return clerk.close_period(uow, _billing().rules, period)
            except (clerk.PeriodClosed, clerk.PeriodNotOver) as error:
                abort(409, errors={"period": [str(error)]})


@statements.route("/periods/<period>/statistics")
class IssueStatistics(MethodView):
    @statements.arguments(PeriodPath, location="path")
    @statements.response(200, StatisticsOut(many=True))
    @statements.alt_response(409, schema=ERROR, description="The month is not over")
    def post(self, _path, period):
        """Issues the month's fee and repair-ratio statistics (the first issue's date counts for lateness)."""
        with _billing().uow_factory() as uow:
            try:
                return clerk.issue_statistics(uow, _billing().rules, period)
            except clerk.PeriodNotOver as error:
                abort(409, errors={"period": [str(error)]})


@statements.route("/statistics")
class Statistics(MethodView):
    @statements.arguments(PeriodQuery, location="query")
    @statements.response(200, StatisticsOut(many=True))
    def get(self, query):
        """Fees and repair ratios per site and product category for one month."""
        with _reader() as uow:
            return clerk.statistics_of(uow, query["period"])


@statements.route("/late-documents")
class LateDocuments(MethodView):
    @statements.arguments(LateQuery, location="query")
    @statements.response(200, LateOut(many=True))
    def get(self, query):
        """Statements (due the 8th) and statistics (due the 12th) of each month that are, or were, late."""
        as_of = query.get("as_of") or _billing().rules.clock().date()
        with _reader() as uow:
            return clerk.late_list(uow, as_of)


@statements.route("/deposits")
class Deposits(MethodView):
    @statements.arguments(IdempotencyHeader, location="headers")
    @statements.arguments(DepositRequest)
    @statements.response(201, DepositOut, headers=REPLAYED_HEADER)
    @statements.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    def post(self, headers, body):
        """Record a parts deposit a service point paid or got back; its statement reconciles it."""
        with _billing().uow_factory() as uow:
            deposit = clerk.record_deposit(uow, _billing().rules, body["payee"], body["amount"], body["description"],
                                           request=idempotent_request(headers["idempotency_key"]),
                                           answer=lambda deposit: Answer(201, DepositOut().dump(deposit)))
        if isinstance(deposit, Replayed):
            return replay(deposit)
        return deposit, 201, {"Idempotent-Replayed": "false"}


BLUEPRINTS = [settlements, fee_schedule, prices, compliance, statements]
__all__ = ["BLUEPRINTS"]
