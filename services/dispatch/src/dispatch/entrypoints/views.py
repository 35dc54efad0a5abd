"""dispatch's HTTP API."""
from __future__ import annotations

from dataclasses import asdict

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, IdempotencyHeader, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..domain.engineers import Engineer, EngineerAlreadyRegistered
from ..domain.work_orders import (
    Completion, Failure, InvalidCompletion, PartUsed, UnknownWorkOrder, WorkOrderConflict,
)
from ..service_layer import handlers
from ..service_layer.commands import CompleteWorkOrder, RegisterEngineer
from .schemas import (
    CompletionIn, EngineerIn, EngineerOut, EngineerQuery, WorkOrderOut, WorkOrderPath, WorkOrderQuery,
)

engineers = Blueprint("engineers", __name__, url_prefix="/api/v1/engineers", description="Field engineers")
work_orders = Blueprint("work_orders", __name__, url_prefix="/api/v1/work-orders", description="Work orders")


def _dispatch():
    return current_app.extensions["dispatch"]


def _engineer_out(engineer: Engineer, open_work_orders: int, **extra) -> dict:
    return {**asdict(engineer), "open_work_orders": open_work_orders, **extra}


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
        command = RegisterEngineer(**{**body, "skills": tuple(dict.fromkeys(body["skills"]))},
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
            loads = uow.work_orders.open_loads([engineer.engineer_id for engineer in found])
        return [_engineer_out(engineer, loads.get(engineer.engineer_id, 0)) for engineer in found]


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
        if work_order is None:
            abort(404, errors={"work_order_id": [f"No work order {work_order_id}."]})
        return work_order


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
                                    request=idempotent_request(headers["idempotency_key"]))
        try:
            work_order = handlers.complete_work_order(
                command, app.uow_factory(), app.clock, events=app.events,
                answer=lambda done: Answer(200, WorkOrderOut().dump(done), done.id),
            )
        except UnknownWorkOrder as exc:
            abort(404, errors={"work_order_id": [str(exc)]})
        except InvalidCompletion as exc:
            abort(400, errors={exc.field: [exc.message]})
        except WorkOrderConflict as exc:
            abort(409, errors={exc.field: [exc.message]})
        if isinstance(work_order, Replayed):
            return replay(work_order)
        return work_order, 200, {"Idempotent-Replayed": "false"}
