"""Problems of the closed loop over HTTP: open by hand, list, read with the audit trail and the
effectiveness of the corrective action, move through the workflow."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields

from aftersales_shared.boundary import (
    ERROR, REPLAYED_HEADER, Blueprint, Choice, IdempotencyHeader, Text, Timestamp, idempotent_request, replay,
)
from aftersales_shared.idempotency import Answer, Replayed

from ..adapters.problems import ConcurrentChange
from ..domain.problems import STATUSES, WorkflowError
from ..service_layer import problem_handlers, queries
from ..service_layer.commands import ChangeProblem, OpenProblem

problems = Blueprint("problems", __name__, url_prefix="/api/v1/problems",
                     description="Problems: failure groups worked through the closed loop")


def _fracas():
    return current_app.extensions["fracas"]


def _name(**kwargs) -> Text:
    return Text(100, min_length=1, **kwargs)


class ProblemIn(Schema):
    model = _name(required=True)
    part_no = Text(64, min_length=1, load_default=None, allow_none=True)
    failure_mode = _name(load_default=None, allow_none=True)
    reason = Text(2000, min_length=1, required=True)
    actor = _name(required=True, metadata={"description": "Who opens it (the audit trail names them)."})
    owner = _name(load_default=None, allow_none=True)
    due_date = fields.Date(load_default=None, allow_none=True)


class ProblemChangeIn(Schema):
    to = Choice(STATUSES, load_default=None, allow_none=True, metadata={"description": "Status to move to."})
    actor = _name(required=True)
    note = Text(2000, load_default="")
    owner = _name(load_default=None, allow_none=True)
    due_date = fields.Date(load_default=None, allow_none=True)
    root_cause = Text(2000, min_length=1, load_default=None, allow_none=True)
    corrective_action = Text(2000, min_length=1, load_default=None, allow_none=True)
    effective_date = fields.Date(load_default=None, allow_none=True,
                                 metadata={"description": "When the corrective action takes effect."})


class ProblemsQuery(Schema):
    status = Choice(STATUSES, load_default=None)
    model = _name(load_default=None)


class ProblemPath(Schema):
    problem_id = Text(64, min_length=1, required=True)


class AuditOut(Schema):
    at = Timestamp()
    actor = fields.String()
    action = fields.String()
    from_status = fields.String(allow_none=True)
    to_status = fields.String(allow_none=True)
    note = fields.String()


class CohortOut(Schema):
    units = fields.Integer()
    failures = fields.Integer()
    unit_years = fields.Float()
    rate = fields.Float(allow_none=True, metadata={"description": "Failures per unit-year."})


class EffectivenessOut(Schema):
    effective_date = fields.Date()
    before = fields.Nested(CohortOut)
    after = fields.Nested(CohortOut)
    p_value = fields.Float(allow_none=True)
    effective = fields.Boolean(allow_none=True)


class ProblemOut(Schema):
    problem_id = fields.String()
    model = fields.String()
    part_no = fields.String(allow_none=True)
    failure_mode = fields.String(allow_none=True)
    status = fields.String()
    reason = fields.String()
    owner = fields.String(allow_none=True)
    due_date = fields.Date(allow_none=True)
    root_cause = fields.String(allow_none=True)
    corrective_action = fields.String(allow_none=True)
    effective_date = fields.Date(allow_none=True)
    effective = fields.Boolean(allow_none=True)
    opened_at = Timestamp()
    closed_at = Timestamp(allow_none=True)
    reopened = fields.Integer()
    version = fields.Integer()


class ProblemDetailOut(ProblemOut):
    audit = fields.List(fields.Nested(AuditOut))
    effectiveness = fields.Nested(EffectivenessOut, allow_none=True)


@problems.route("")
class Problems(MethodView):
    @problems.arguments(IdempotencyHeader, location="headers")
    @problems.arguments(ProblemIn)
    @problems.response(201, ProblemOut, headers=REPLAYED_HEADER)
    @problems.alt_response(409, schema=ERROR, description="Idempotency-Key reused with a different request")
    def post(self, headers, body):
        """Open a problem by hand; emits ProblemOpened."""
        app = _fracas()
        command = OpenProblem(**body, request=idempotent_request(headers["idempotency_key"]))
        problem = problem_handlers.open_by_hand(command, app.uow_factory(), app.events, app.clock(),
                                                answer=lambda p: Answer(201, ProblemOut().dump(p)))
        if isinstance(problem, Replayed):
            return replay(problem)
        return problem, 201, {"Idempotent-Replayed": "false"}

    @problems.arguments(ProblemsQuery, location="query")
    @problems.response(200, ProblemOut(many=True))
    def get(self, query):
        """Problems, oldest first, by status and model."""
        return queries.problems(query["status"], query["model"], _fracas().uow_factory())


@problems.route("/<problem_id>")
class ProblemDetail(MethodView):
    @problems.arguments(ProblemPath, location="path")
    @problems.response(200, ProblemDetailOut)
    @problems.alt_response(404, schema=ERROR, description="No such problem")
    def get(self, path, **_):
        """One problem with its audit trail and, once it has a corrective action, its effectiveness."""
        app = _fracas()
        detail = queries.problem_detail(path["problem_id"], app.clock().date(), app.uow_factory())
        if detail is None:
            abort(404, errors={"problem_id": ["No such problem."]})
        return detail


@problems.route("/<problem_id>/changes")
class ProblemChanges(MethodView):
    @problems.arguments(ProblemPath, location="path")
    @problems.arguments(ProblemChangeIn)
    @problems.response(200, ProblemOut)
    @problems.alt_response(404, schema=ERROR, description="No such problem")
    @problems.alt_response(409, schema=ERROR, description="Not a step from the problem's current status, or "
                                                          "changed by someone else meanwhile")
    @problems.alt_response(422, schema=ERROR, description="The step needs facts not given (root cause, corrective "
                                                          "action and its effective date), or nothing to change")
    def post(self, path, body, **_):
        """Move a problem on (open -> verified | no_fault_found -> root_cause -> corrective_action ->
        effectiveness_check -> closed; closed -> open reopens it) or reassign it. Closing emits ProblemClosed."""
        app = _fracas()
        try:
            return problem_handlers.change(ChangeProblem(path["problem_id"], **body), app.uow_factory(), app.events,
                                           app.clock())
        except problem_handlers.ProblemNotFound:
            abort(404, errors={"problem_id": ["No such problem."]})
        except WorkflowError as exc:
            abort(409 if exc.conflict else 422, errors={exc.field: [str(exc)]})
        except ConcurrentChange:
            abort(409, errors={"problem_id": ["Changed by someone else meanwhile; read it again."]})
