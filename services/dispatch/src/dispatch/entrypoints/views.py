"""dispatch's HTTP API."""
from __future__ import annotations

from dataclasses import asdict
from datetime import time

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.db import retrying_conflicts
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.engineers import Engineer, EngineerAlreadyRegistered, UnknownEngineer
from ..domain.sla import InvalidCalendar, WorkingCalendar, format_hours, parse_hours
from ..domain.work_orders import (
    Completion, Failure, InvalidCompletion, PartUsed, UnknownWorkOrder, WorkOrderConflict,
)
from ..service_layer import handlers
from ..service_layer.commands import (
    ChangeEngineer, CompleteWorkOrder, Reassign, RegisterEngineer, SetCalendar, WorkOrderAction,
)
from .schemas import (
    ActionIn, CalendarIn, CalendarOut, ClockOut, CompletionIn, EngineerChange, EngineerIn, EngineerOut,
    EngineerPath, EngineerQuery, OverdueOut, ReasonRequiredIn, ReassignIn, RiskOut, SitePath, TransitionOut,
    WorkOrderOut, WorkOrderPath, WorkOrderQuery,
)

engineers = Blueprint("engineers", __name__, url_prefix="/api/v1/engineers", description="Field engineers")
work_orders = Blueprint("work_orders", __name__, url_prefix="/api/v1/work-orders", description="Work orders")
sites = Blueprint("sites", __name__, url_prefix="/api/v1/sites",
                  description="Per site: working calendar, SLA clocks at risk and breached, overdue depot units")
# Built once: the completion's answer is on the ticket flow's hot path.
_WORK_ORDER_OUT = WorkOrderOut()


def _dispatch():
    return current_app.extensions["dispatch"]


def _hhmm(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")


def _time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def _engineer_out(engineer: Engineer, open_work_orders: int | None = None, **extra) -> dict:
    return {**asdict(engineer), "available": engineer.available, "shift_start": _hhmm(engineer.shift_start),
            "shift_end": _hhmm(engineer.shift_end),
            "open_work_orders": engineer.load if open_work_orders is None else open_work_orders, **extra}


def _registered(registration: handlers.Registration) -> dict:
    engineer, assigned = registration
    mine = [wo.id for wo in assigned if wo.engineer_id == engineer.engineer_id]
    return _engineer_out(engineer, len(mine), assigned_work_orders=mine)


def _registration_answer(registration: handlers.Registration) -> Answer:
    return Answer(201, EngineerOut().dump(_registered(registration)), registration[0].engineer_id)


@engineers.route("")
class Engineers(MethodView):
    @engineers.arguments(IdempotencyHeader, location="headers")
    @engineers.arguments(EngineerIn)
    @engineers.response(201, EngineerOut, headers=REPLAYED_HEADER)
    @engineers.alt_response(409, schema=ERROR,
                            description="engineer_id is already registered, or Idempotency-Key reused")
    def post(self, headers, body):
        """Register an engineer; waiting work orders of the site they can take are assigned at once."""
        app = _dispatch()
        if (body["shift_start"] is None) != (body["shift_end"] is None):
            abort(422, errors={"shift_end": ["Give both shift_start and shift_end, or neither."]})
        command = RegisterEngineer(**{**body, "skills": tuple(dict.fromkeys(body["skills"])),
                                      "shift_start": _time(body["shift_start"]), "shift_end": _time(body["shift_end"])},
                                   request=idempotent_request(headers["idempotency_key"]))
        try:
            registration = handlers.register_engineer(command, app.uow_factory(), app.clock, events=app.events,
                                                      answer=_registration_answer)
        except (EngineerAlreadyRegistered, IntegrityError):
            # IntegrityError: a concurrent registration of the same engineer_id committed first.
            abort(409, errors={"engineer_id": [f"Engineer {command.engineer_id} is already registered."]})
        if isinstance(registration, Replayed):
            return replay(registration)
        return _registered(registration), 201, {"Idempotent-Replayed": "false"}

    @engineers.arguments(EngineerQuery, location="query")
    @engineers.response(200, EngineerOut(many=True))
    def get(self, query):
        """Engineers, of one site when ``site`` is given, with their open work orders."""
        with _dispatch().uow_factory() as uow:
            found = uow.engineers.list(query.get("site"))
        return [_engineer_out(engineer) for engineer in found]


@engineers.route("/<engineer_id>")
class EngineerById(MethodView):
    @engineers.arguments(EngineerPath, location="path")
    @engineers.arguments(EngineerChange)
    @engineers.response(200, EngineerOut)
    @engineers.alt_response(404, schema=ERROR, description="No such engineer")
    @engineers.alt_response(409, schema=ERROR, description="A work order changed meanwhile; try again")
    def patch(self, _path, body, engineer_id):
        """Change status (available / busy / off) or shift; going off hands the jobs not yet started to others."""
        app = _dispatch()
        if not body:
            abort(422, errors={"status": ["Give status, or shift_start and shift_end."]})
        shift = "shift_start" in body or "shift_end" in body
        if shift and (body.get("shift_start") is None) != (body.get("shift_end") is None):
            abort(422, errors={"shift_end": ["Give both shift_start and shift_end, or both null."]})
        command = ChangeEngineer(engineer_id, body.get("status"), _time(body.get("shift_start")),
                                 _time(body.get("shift_end")), change_shift=shift)
        try:
            engineer, moved = handlers.change_engineer(command, app.uow_factory(), app.clock, events=app.events)
        except UnknownEngineer as exc:
            abort(404, errors={"engineer_id": [str(exc)]})
        except WorkOrderConflict as exc:
            abort(409, errors={exc.field: [exc.message]})
        return _engineer_out(engineer, assigned_work_orders=[w.id for w in moved])


@work_orders.route("")
class WorkOrders(MethodView):
    @work_orders.arguments(WorkOrderQuery, location="query")
    @work_orders.response(200, WorkOrderOut(many=True))
    def get(self, query):
        """Work orders, oldest ticket first; filter by ticket_id, site, status or engineer_id."""
        with _dispatch().uow_factory() as uow:
            return uow.work_orders.list(**query)


@work_orders.route("/<work_order_id>")
class WorkOrderById(MethodView):
    @work_orders.arguments(WorkOrderPath, location="path")
    @work_orders.response(200, WorkOrderOut)
    @work_orders.alt_response(404, schema=ERROR, description="No such work order")
    def get(self, _path, work_order_id):
        with _dispatch().uow_factory() as uow:
            work_order = uow.work_orders.get(work_order_id)
            clocks = uow.clocks.of_work_order(work_order_id) if work_order else []
        if work_order is None:
            abort(404, errors={"work_order_id": [f"No work order {work_order_id}."]})
        return {**work_order.__dict__, "parts_status": work_order.parts_status,
                "reservation_id": work_order.reservation_id, "clocks": clocks}


@work_orders.route("/<work_order_id>/history")
class WorkOrderHistory(MethodView):
    @work_orders.arguments(WorkOrderPath, location="path")
    @work_orders.response(200, TransitionOut(many=True))
    @work_orders.alt_response(404, schema=ERROR, description="No such work order")
    def get(self, _path, work_order_id):
        """Every recorded step of the work order, oldest first: what its SLA clocks are derived from."""
        with _dispatch().uow_factory() as uow:
            if uow.work_orders.get(work_order_id) is None:
                abort(404, errors={"work_order_id": [f"No work order {work_order_id}."]})
            return uow.work_orders.history(work_order_id)


def _conflicts(run):
    """A domain refusal as an HTTP answer: unknown → 404, illegal in this state → 409."""
    try:
        return retrying_conflicts(run)
    except UnknownWorkOrder as exc:
        abort(404, errors={"work_order_id": [str(exc)]})
    except UnknownEngineer as exc:
        abort(404, errors={"engineer_id": [str(exc)]})
    except (InvalidCompletion, InvalidCalendar) as exc:
        abort(400, errors={exc.field: [exc.message]})
    except WorkOrderConflict as exc:
        abort(409, errors={exc.field: [exc.message]})


# path segment -> (action, whether a reason is required, what it does)
ACTIONS = {
    "accept": ("accept", False, "The assigned engineer accepts the job (assigned → accepted)."),
    "decline": ("decline", True, "The assigned engineer declines; the job goes to someone else or waits."),
    "depart": ("depart", False, "The engineer sets off (accepted → en_route)."),
    "arrive": ("arrive", False, "The engineer is at the customer's (en_route → on_site)."),
    "receive": ("receive", False, "Depot: the unit arrived (awaiting_unit → received)."),
    "diagnose": ("diagnose", False, "Depot: diagnosis starts (received → diagnosing)."),
    "repair": ("repair", False, "Depot: repair starts (diagnosing → repairing)."),
    "qc": ("qc", False, "Depot: quality check (repairing → qc); complete returns the unit."),
    "cannot-complete": ("cannot_complete", True, "The job cannot be done; the reason is kept."),
    "wait-parts": ("waiting_parts", False, "The job waits for parts (SLA clocks pause); PartReserved resumes it."),
    "wait-customer": ("waiting_customer", True, "The job waits for the customer (SLA clocks pause)."),
    "resume": ("resume", False, "A waiting job goes on where it stopped."),
}


def _action_view(segment: str, action: str, needs_reason: bool, summary: str):
    @work_orders.arguments(WorkOrderPath, location="path")
    @work_orders.arguments(ReasonRequiredIn if needs_reason else ActionIn)
    @work_orders.response(200, WorkOrderOut)
    @work_orders.alt_response(404, schema=ERROR, description="No such work order")
    @work_orders.alt_response(409, schema=ERROR, description="Not possible in the work order's current state "
                                                            "(named in the answer), or not this engineer's job")
    def post(self, _path, body, work_order_id):
        app = _dispatch()
        command = WorkOrderAction(work_order_id, action, body.get("engineer_id"), body.get("reason"))
        return _conflicts(lambda: handlers.act(command, app.uow_factory(), app.clock, events=app.events))

    post.__doc__ = summary
    view = type(f"WorkOrder{segment.title().replace('-', '')}", (MethodView,), {"post": post})
    work_orders.route(f"/<work_order_id>/{segment}", endpoint=f"work_order_{action}")(view)


for _segment, (_action, _needs_reason, _summary) in ACTIONS.items():
    _action_view(_segment, _action, _needs_reason, _summary)


@work_orders.route("/<work_order_id>/reassign")
class ReassignView(MethodView):
    @work_orders.arguments(WorkOrderPath, location="path")
    @work_orders.arguments(ReassignIn)
    @work_orders.response(200, WorkOrderOut)
    @work_orders.alt_response(404, schema=ERROR, description="No such work order or engineer")
    @work_orders.alt_response(409, schema=ERROR, description="The job has started, or the engineer cannot take it")
    def post(self, _path, body, work_order_id):
        """A dispatcher gives a job not yet started to the named engineer; EngineerAssigned follows."""
        app = _dispatch()
        command = Reassign(work_order_id, body["engineer_id"], body["reason"])
        return _conflicts(lambda: handlers.reassign(command, app.uow_factory(), app.clock, events=app.events))


def _completion(body: dict) -> Completion:
    return Completion(
        outcome=body["outcome"], labour_minutes=body["labour_minutes"],
        parts_used=tuple(PartUsed(**part) for part in body["parts_used"]),
        failure=Failure(**body["failure"]), customer_signed=body["customer_signed"],
        warranty_status=body["warranty_status"], arrived_at=body["arrived_at"],
        satisfaction=body["satisfaction"],
    )


@work_orders.route("/<work_order_id>/complete")
class CompleteWorkOrderView(MethodView):
    @work_orders.arguments(WorkOrderPath, location="path")
    @work_orders.arguments(IdempotencyHeader, location="headers")
    @work_orders.arguments(CompletionIn)
    @work_orders.response(200, WorkOrderOut, headers=REPLAYED_HEADER)
    @work_orders.alt_response(404, schema=ERROR, description="No such work order")
    @work_orders.alt_response(409, schema=ERROR,
                              description="Already completed, no engineer assigned yet, or Idempotency-Key reused")
    def post(self, _path, headers, body, work_order_id):
        """Record the engineer's report of the job and announce RepairCompleted (once per work order)."""
        app = _dispatch()
        command = CompleteWorkOrder(work_order_id, _completion(body),
                                    request=idempotent_request(headers["idempotency_key"]), travel_km=body["travel_km"])
        try:
            work_order = retrying_conflicts(lambda: handlers.complete_work_order(
                command, app.uow_factory(), app.clock, events=app.events,
                answer=lambda done: Answer(200, _WORK_ORDER_OUT.dump(done), done.id),
            ))
        except UnknownWorkOrder as exc:
            abort(404, errors={"work_order_id": [str(exc)]})
        except InvalidCompletion as exc:
            abort(400, errors={exc.field: [exc.message]})
        except WorkOrderConflict as exc:
            abort(409, errors={exc.field: [exc.message]})
        if isinstance(work_order, Replayed):
            return replay(work_order)
        return work_order, 200, {"Idempotent-Replayed": "false"}


def _calendar_out(site: str, calendar: WorkingCalendar, recomputed: int | None = None) -> dict:
    return {"site": site, "time_zone": calendar.time_zone,
            "hours": {day: format_hours(span) for day, span in calendar.hours.items()},
            "holidays": sorted(calendar.holidays), "recomputed_work_orders": recomputed}


@sites.route("/<site>/calendar")
class SiteCalendar(MethodView):
    @sites.arguments(SitePath, location="path")
    @sites.response(200, CalendarOut)
    def get(self, _path, site):
        """The site's working calendar; a site without one works around the clock (UTC)."""
        with _dispatch().uow_factory() as uow:
            return _calendar_out(site, uow.calendars.get(site))

    @sites.arguments(SitePath, location="path")
    @sites.arguments(CalendarIn)
    @sites.response(200, CalendarOut)
    def put(self, _path, body, site):
        """Set the site's working hours, holidays and time zone; the SLA clocks of its open work orders are
        derived again from their recorded history."""
        try:
            calendar = WorkingCalendar(body["time_zone"], {d: parse_hours(h) for d, h in body["hours"].items()},
                                       frozenset(body["holidays"]))
        except InvalidCalendar as exc:
            abort(422, errors={exc.field: [exc.message]})
        app = _dispatch()
        recomputed = handlers.set_calendar(SetCalendar(site, calendar), app.uow_factory(), app.clock)
        return _calendar_out(site, calendar, recomputed)


@sites.route("/<site>/sla/at-risk")
class AtRisk(MethodView):
    @sites.arguments(SitePath, location="path")
    @sites.response(200, RiskOut(many=True))
    def get(self, _path, site):
        """Open work orders predicted to miss their running clock (engineer's queue, travel, parts)."""
        app = _dispatch()
        with app.uow_factory() as uow:
            found = handlers.at_risk(site, uow, app.clock())
        return [{"work_order_id": w.id, "ticket_id": w.ticket_id, "status": w.status, "engineer_id": w.engineer_id,
                 "clock": r.clock, "deadline": r.deadline, "expected_at": r.expected_at, "reasons": list(r.reasons)}
                for w, r in found]


@sites.route("/<site>/sla/breached")
class Breached(MethodView):
    @sites.arguments(SitePath, location="path")
    @sites.response(200, ClockOut(many=True))
    def get(self, _path, site):
        """Clocks of the site's work orders that ran past their deadline (SlaBreached was announced)."""
        with _dispatch().uow_factory() as uow:
            return uow.clocks.of_site(site, breached=True)


@sites.route("/<site>/depot/overdue")
class OverdueDepot(MethodView):
    @sites.arguments(SitePath, location="path")
    @sites.response(200, OverdueOut(many=True))
    def get(self, _path, site):
        """Depot and mail-in units not returned within three working days of their receipt."""
        app = _dispatch()
        with app.uow_factory() as uow:
            found = handlers.overdue_depot_units(site, uow, app.clock())
        return [{"work_order_id": w.id, "ticket_id": w.ticket_id, "status": w.status, "engineer_id": w.engineer_id,
                 "received_at": w.received_at, "due": due} for w, due in found]
