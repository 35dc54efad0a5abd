"""Standard problems the desk solves on the phone: symptom → steps → likely parts."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

DRAFT, PUBLISHED = "draft", "published"
ARTICLE_STATUSES = (DRAFT, PUBLISHED)
_DRAFTS = uuid.UUID("0b6f0f7e-8c1a-4f57-9d0e-6a1f3c2b7d11")


@dataclass
class Article:
    id: str
    title: str
    symptoms: str
    steps: list[str]
    likely_parts: list[str]
    status: str
    created_at: datetime
    symptom_code: str | None = None
    source_ticket_id: str | None = None


def draft_id(ticket_id: str) -> str:
    """One draft per repaired ticket, however often it is asked for."""
    return str(uuid.uuid5(_DRAFTS, ticket_id))


def draft_from(ticket, outcome: str | None, at: datetime) -> Article:
    """A draft from a completed repair: what the customer reported, what the engineer did, what was fitted."""
    fault = ticket.fault
    steps = [f"Check: {fault.description}"]
    if outcome:
        steps.append(f"Field repair outcome: {outcome}")
    parts = [p.part_no for p in ticket.parts]
    if parts:
        steps.append("Replace: " + ", ".join(parts))
    return Article(draft_id(ticket.id), f"{ticket.product.model}: {fault.description}"[:200], fault.description,
                   steps, parts, DRAFT, at, fault.symptom_code, ticket.id)
