"""The knowledge base over HTTP: articles by id, search by symptom code or free text, drafts from repairs."""
from __future__ import annotations

from flask import current_app, jsonify
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from aftersales_shared.boundary import Blueprint, Choice, ERROR, Text, Timestamp

from ..domain.knowledge import ARTICLE_STATUSES, PUBLISHED, Article
from ..domain.lifecycle import IllegalTransition
from ..service_layer import knowledge
from ..service_layer.handlers import TicketNotFound
from .schemas import TicketPath

kb = Blueprint("knowledge", __name__, url_prefix="/api/v1", description="Knowledge base of standard problems")


class ArticleIn(Schema):
    title = Text(200, min_length=1, required=True)
    symptom_code = Text(100, min_length=1, load_default=None, allow_none=True)
    symptoms = Text(4000, min_length=1, required=True)
    steps = fields.List(Text(1000, min_length=1), required=True, validate=validate.Length(1, 50))
    likely_parts = fields.List(Text(64, min_length=1), load_default=list, validate=validate.Length(max=50))
    status = Choice(ARTICLE_STATUSES, load_default=PUBLISHED)


class ArticleOut(ArticleIn):
    id = fields.String()
    source_ticket_id = fields.String(allow_none=True)
    created_at = Timestamp()


class ArticlePath(Schema):
    article_id = Text(36, min_length=1, required=True)


class ArticleQuery(Schema):
    symptom_code = Text(100, min_length=1, load_default=None)
    q = Text(200, min_length=1, load_default=None, metadata={"description": "Free text: words of the symptom"})
    status = Choice(ARTICLE_STATUSES, load_default=None)


def _intake():
    return current_app.extensions["intake"]


@kb.route("/kb/articles")
class Articles(MethodView):
    @kb.arguments(ArticleQuery, location="query")
    @kb.response(200, ArticleOut(many=True))
    def get(self, query):
        """Articles by symptom code and/or free text (full-text search on PostgreSQL), best match first."""
        with _intake().read_uow_factory() as uow:
            return uow.knowledge.search(query["symptom_code"], query["q"], query["status"], 50)


@kb.route("/kb/articles/<article_id>")
class ArticleById(MethodView):
    @kb.arguments(ArticlePath, location="path")
    @kb.response(200, ArticleOut)
    @kb.alt_response(404, schema=ERROR, description="No such article")
    def get(self, _path, article_id):
        """One article."""
        with _intake().read_uow_factory() as uow:
            article = uow.knowledge.get(article_id)
        if article is None:
            return jsonify(code=404, status="Not Found", errors={"article_id": [f"No article {article_id}."]}), 404
        return article

    @kb.arguments(ArticlePath, location="path")
    @kb.arguments(ArticleIn)
    @kb.response(200, ArticleOut, description="Replaced")
    @kb.alt_response(201, schema=ArticleOut, description="Created")
    def put(self, _path, body, article_id):
        """Create or replace the article under this id (a retry changes nothing more)."""
        app = _intake()
        article, created = knowledge.put_article(Article(id=article_id, created_at=app.rules.clock(), **body),
                                                 app.uow_factory())
        return article, 201 if created else 200


@kb.route("/tickets/<ticket_id>/kb-draft")
class DraftFromRepair(MethodView):
    @kb.arguments(TicketPath, location="path")
    @kb.response(201, ArticleOut, description="Drafted")
    @kb.alt_response(200, schema=ArticleOut, description="Drafted before: the same draft")
    @kb.alt_response(404, schema=ERROR, description="No such ticket")
    @kb.alt_response(409, schema=ERROR, description="No repair completed on the ticket")
    def post(self, _path, ticket_id):
        """Draft an article from the completed repair of this ticket (one draft per ticket)."""
        app = _intake()
        try:
            article, created = knowledge.draft_from_repair(ticket_id, app.uow_factory(), app.rules.clock())
        except TicketNotFound:
            return jsonify(code=404, status="Not Found", errors={"ticket_id": [f"No ticket {ticket_id}."]}), 404
        except IllegalTransition as refused:
            return jsonify(code=409, status="Conflict", message=f"The ticket is {refused.state}.",
                           errors={"state": [refused.reason]}), 409
        return article, 201 if created else 200
