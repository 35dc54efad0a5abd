"""The statements a ticket runs through, built once: values travel as execution parameters.

Building a statement (and its cache key) per call cost more CPU than running it. Where-clause parameters are
named ``b_<column>`` so they never clash with the columns an UPDATE sets from the parameter keys.
"""
from __future__ import annotations

from functools import cache

from sqlalchemy import Integer, bindparam, func, insert, select, text, update

from aftersales_shared.db import dialect_insert

from ..domain.engineers import AVAILABLE, MAX_LOAD
from .tables import (
    engineer_fixes, engineer_skills, engineers, parts_reports, site_calendars, sla_clocks, ticket_facts,
    work_order_transitions, work_orders,
)

CLOCK_COLUMNS = ("ticket_id", "site", "region", "started_at", "deadline", "stopped_at", "paused")

# -- engineers
INSERT_ENGINEER = insert(engineers)
INSERT_ENGINEER_SKILLS = insert(engineer_skills)
ENGINEER_BY_ID = select(engineers).where(engineers.c.engineer_id == bindparam("b_engineer_id"))
ENGINEER_BY_ID_LOCKED = ENGINEER_BY_ID.with_for_update()
UPDATE_ENGINEER = update(engineers).where(engineers.c.engineer_id == bindparam("b_engineer_id"))
TAKE_SLOT = (
    update(engineers)
    .where(engineers.c.engineer_id == bindparam("b_engineer_id"), engineers.c.status == AVAILABLE,
           engineers.c.load < MAX_LOAD)
    .values(load=engineers.c.load + 1)
)
FIXES = select(engineer_fixes.c.engineer_id, engineer_fixes.c.fixes).where(
    engineer_fixes.c.symptom_code == bindparam("b_symptom_code"),
    engineer_fixes.c.engineer_id.in_(bindparam("b_engineer_ids", expanding=True)))
ADD_FIX = (
    update(engineer_fixes)
    .where(engineer_fixes.c.engineer_id == bindparam("b_engineer_id"),
           engineer_fixes.c.symptom_code == bindparam("b_symptom_code"))
    .values(fixes=engineer_fixes.c.fixes + 1)
)
INSERT_FIX = insert(engineer_fixes)


@cache
def change_load(dialect_name: str):
    load = engineers.c.load + bindparam("b_delta", type_=Integer)
    return update(engineers).where(engineers.c.engineer_id == bindparam("b_engineer_id")).values(
        load=func.max(load, 0) if dialect_name == "sqlite" else func.greatest(load, 0))


@cache
def candidates(by_site: bool, limit: int):
    scope = engineer_skills.c.site if by_site else engineer_skills.c.region
    return (
        select(engineers)
        .select_from(engineer_skills.join(engineers, engineers.c.engineer_id == engineer_skills.c.engineer_id))
        .where(engineer_skills.c.skill == bindparam("b_skill"), scope == bindparam("b_scope"),
               engineers.c.status == AVAILABLE, engineers.c.load < MAX_LOAD)
        .order_by(engineers.c.load, engineers.c.engineer_id).limit(limit)
    )


# -- work orders
WITH_PARTS = (
    select(
        work_orders,
        parts_reports.c.status.label("parts_status"),
        parts_reports.c.reservation_id.label("parts_reservation_id"),
        parts_reports.c.reported_at.label("parts_reported_at"),
    )
    .select_from(work_orders.outerjoin(parts_reports, parts_reports.c.ticket_id == work_orders.c.ticket_id))
)
WORK_ORDER_BY_ID = WITH_PARTS.where(work_orders.c.id == bindparam("b_id"))
WORK_ORDER_BY_ID_LOCKED = WORK_ORDER_BY_ID.with_for_update(of=work_orders)
WORK_ORDER_BY_TICKET = WITH_PARTS.where(work_orders.c.ticket_id == bindparam("b_ticket_id"))
WORK_ORDER_BY_TICKET_LOCKED = WORK_ORDER_BY_TICKET.with_for_update(of=work_orders)
INSERT_WORK_ORDER = insert(work_orders)
# Sets the columns named by the parameters, only if nobody saved since the version that was read.
SAVE_WORK_ORDER = update(work_orders).where(
    work_orders.c.id == bindparam("b_id"), work_orders.c.version == bindparam("b_version"))
HISTORY = (select(work_order_transitions).where(work_order_transitions.c.work_order_id == bindparam("b_id"))
           .order_by(work_order_transitions.c.id))
INSERT_TRANSITIONS = insert(work_order_transitions)
PARTS_REPORT = select(parts_reports).where(parts_reports.c.ticket_id == bindparam("b_ticket_id"))
UPDATE_PARTS_REPORT = update(parts_reports).where(parts_reports.c.ticket_id == bindparam("b_ticket_id"))
INSERT_PARTS_REPORT = insert(parts_reports)
TICKET_FACTS = select(ticket_facts).where(ticket_facts.c.ticket_id == bindparam("b_ticket_id"))
UPDATE_TICKET_FACTS = update(ticket_facts).where(ticket_facts.c.ticket_id == bindparam("b_ticket_id"))
INSERT_TICKET_FACTS = insert(ticket_facts)
LOCK_SITE = text("SELECT pg_advisory_xact_lock(:key)")

# -- clocks and calendars
CLOCKS_OF_WORK_ORDER = (select(sla_clocks).where(sla_clocks.c.work_order_id == bindparam("b_work_order_id"))
                        .order_by(sla_clocks.c.clock))
MARK_BREACHED = update(sla_clocks).where(
    sla_clocks.c.work_order_id == bindparam("b_work_order_id"), sla_clocks.c.clock == bindparam("b_clock"),
    sla_clocks.c.breached_at.is_(None))
CALENDAR = select(site_calendars).where(site_calendars.c.site == bindparam("b_site"))


@cache
def upsert_clocks(dialect_name: str):
    """breached_at is not among the columns it sets: a recorded breach stays."""
    statement = dialect_insert(dialect_name, sla_clocks)
    return statement.on_conflict_do_update(
        index_elements=[sla_clocks.c.work_order_id, sla_clocks.c.clock],
        set_={name: statement.excluded[name] for name in CLOCK_COLUMNS})
