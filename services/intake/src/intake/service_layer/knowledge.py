"""Writing the knowledge base: articles by their id, drafts from completed repairs."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..domain.knowledge import Article, draft_from, draft_id
from ..domain.lifecycle import IllegalTransition
from .handlers import TicketNotFound
from .unit_of_work import IntakeUnitOfWork


def put_article(article: Article, uow: IntakeUnitOfWork) -> tuple[Article, bool]:
    """Creates or replaces the article under its id; True when it is new."""
    with uow:
        existing = uow.knowledge.get(article.id)
        if existing is None:
            uow.knowledge.add(article)
        else:
            article = replace(article, created_at=existing.created_at)
            uow.knowledge.replace(article)
        uow.commit()
        return article, existing is None


def draft_from_repair(ticket_id: str, uow: IntakeUnitOfWork, now: datetime) -> tuple[Article, bool]:
    """The draft article of a repaired ticket (the same one when asked again); True when it is new."""
    with uow:
        ticket = uow.tickets.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(ticket_id)
        existing = uow.knowledge.get(draft_id(ticket_id))
        if existing is not None:
            return existing, False
        repairs = [e for e in ticket.timeline if e.type == "RepairCompleted"]
        if not repairs:
            raise IllegalTransition(ticket.state, "drafted into an article",
                                    f"No repair has been completed on this ticket (it is {ticket.state}).")
        article = draft_from(ticket, repairs[-1].detail.get("outcome"), now)
        uow.knowledge.add(article)
        uow.commit()
        return article, True
