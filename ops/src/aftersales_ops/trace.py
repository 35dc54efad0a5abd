"""``aftersales trace <ticket>``: one ticket's whole story across the five services.

Every service tells what it consumed and emitted for the ticket's correlation id
(``GET /api/v1/events``); the trace joins those on the envelope id, so each event appears once with who
emitted it and who took it in, and orders the lot causally: an event never comes before the event that
caused it, whatever the clocks of the machines say; events not caused by one another follow their time.
The ticket, its work orders, settlements and failure records come from each owner's API, with the times
their states changed.
"""
from __future__ import annotations

import heapq
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Iterable

from aftersales_shared.timeutil import parse_rfc3339

from .config import SERVICES
from .http import Client, OpsError, ServiceError

# (service, path, query parameter naming the ticket) of the records each service owns for a ticket.
RECORDS = {
    "work_orders": ("dispatch", "/api/v1/work-orders", "ticket_id"),
    "settlements": ("billing", "/api/v1/settlements", "ticket_id"),
    "failures": ("fracas", "/api/v1/failures", "ticket_id"),
}
# Timestamps of each kind of record that mark a change of its state, in the order they happen.
STATE_TIMES = {
    "ticket": ("created_at", "closed_at", "updated_at"),
    "work_orders": ("created_at", "dispatched_at", "arrived_at", "completed_at"),
    "settlements": ("posted_at", "settled_at", "created_at"),
    "failures": ("recorded_at", "completed_at", "created_at"),
}


def _time(value) -> datetime | None:
    if not value:
        return None
    try:
        return parse_rfc3339(value) if isinstance(value, str) else value
    except ValueError:
        return None


def merge_trails(trails: Iterable[dict]) -> list[dict]:
    """One entry per event id from every service's trail, in causal order."""
    events: dict[str, dict] = {}
    for trail in trails:
        service = trail["service"]
        for emitted in trail.get("emitted", []):
            event = events.setdefault(emitted["event_id"], _blank(emitted))
            event.update(emitted_by=service, occurred_at=emitted["occurred_at"], source=emitted["source"],
                         causation_id=emitted.get("causation_id"), routing_key=emitted.get("routing_key"),
                         published_at=emitted.get("published_at"))
        for consumed in trail.get("consumed", []):
            event = events.setdefault(consumed["event_id"], _blank(consumed))
            event["consumed_by"][service] = consumed.get("received_at")
            event["occurred_at"] = event["occurred_at"] or consumed.get("occurred_at")
            event["causation_id"] = event["causation_id"] or consumed.get("causation_id")
    return causal_order(list(events.values()))


def _blank(seen: dict) -> dict:
    return {"event_id": seen["event_id"], "type": seen["type"], "source": seen.get("source"), "emitted_by": None,
            "occurred_at": seen.get("occurred_at"), "causation_id": seen.get("causation_id"), "routing_key": None,
            "published_at": None, "consumed_by": {}}


def causal_order(events: list[dict]) -> list[dict]:
    """Causes first (a topological order over causation ids), otherwise by time, then by id for stability."""
    by_id = {event["event_id"]: event for event in events}
    children: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for event in events:
        cause = event.get("causation_id")
        if cause in by_id and cause != event["event_id"]:
            children.setdefault(cause, []).append(event["event_id"])
            waiting[event["event_id"]] = 1

    def key(event_id: str):
        moment = _time(by_id[event_id]["occurred_at"])
        return (moment.timestamp() if moment else float("inf"), event_id)

    ready = [key(event_id) for event_id in by_id if not waiting.get(event_id)]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, event_id = heapq.heappop(ready)
        ordered.append(by_id[event_id])
        for child in children.get(event_id, []):
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, key(child))
    # A causation cycle cannot come from real events; should one be forged, show its events anyway.
    seen = {event["event_id"] for event in ordered}
    ordered += sorted((e for e in events if e["event_id"] not in seen), key=lambda e: key(e["event_id"]))
    for position, event in enumerate(ordered, start=1):
        event["position"] = position
        cause = by_id.get(event.get("causation_id") or "")
        event["caused_by"] = cause["type"] if cause else None
    return ordered


def state_changes(ticket: dict | None, records: dict[str, list[dict]]) -> list[dict]:
    """Each record's timestamped changes: (time, service, what, id, state)."""
    owners = {"ticket": "intake", **{kind: spec[0] for kind, spec in RECORDS.items()}}
    found = []
    for kind, items in [("ticket", [ticket] if ticket else []), *records.items()]:
        for item in items:
            identity = item.get("id") or item.get("settlement_id") or item.get("failure_id") or item.get("work_order_id")
            for field in STATE_TIMES.get(kind, ()):
                moment = _time(item.get(field))
                if moment is not None:
                    found.append({"time": moment.isoformat(), "service": owners[kind], "record": kind.rstrip("s"),
                                  "id": identity, "change": field.removesuffix("_at"), "status": item.get("status")})
    return sorted(found, key=lambda change: change["time"])


def collect(client: Client, ticket_id: str) -> dict:
    """Asks all five services at once; a service that is down is named in ``unreachable``, not fatal."""
    unreachable: dict[str, str] = {}

    def trail(service: str):
        try:
            return client.get(service, "/api/v1/events", params={"correlation_id": ticket_id})
        except OpsError as exc:
            unreachable[service] = str(exc)
            return None

    def record(kind: str):
        service, path, param = RECORDS[kind]
        try:
            return client.get(service, path, params={param: ticket_id})
        except OpsError as exc:
            unreachable[f"{service} {kind}"] = str(exc)
            return []

    def ticket():
        try:
            return client.get("intake", f"/api/v1/tickets/{ticket_id}")
        except ServiceError as exc:
            if exc.status != 404:
                unreachable["intake ticket"] = str(exc)
            return None
        except OpsError as exc:
            unreachable["intake ticket"] = str(exc)
            return None

    with ThreadPoolExecutor(max_workers=9) as pool:
        trails = list(pool.map(trail, SERVICES))
        records = dict(zip(RECORDS, pool.map(record, RECORDS)))
        the_ticket = ticket()
    return story(ticket_id, [t for t in trails if t], the_ticket, records, unreachable)


def story(ticket_id: str, trails: list[dict], ticket: dict | None, records: dict[str, list[dict]],
          unreachable: dict[str, str] | None = None) -> dict:
    return {
        "ticket_id": ticket_id,
        "status": ticket.get("status") if ticket else None,
        "events": merge_trails(trails),
        "state_changes": state_changes(ticket, records),
        "ticket": ticket,
        **records,
        "unreachable": unreachable or {},
    }


def _short(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if moment else "?"


def render(found: dict) -> str:
    """The readable timeline: one line per event in causal order, then each record's changes and state."""
    lines = [f"ticket {found['ticket_id']}: {found['status'] or 'unknown to intake'}", ""]
    lines.append(f"{'#':>3}  {'time (UTC)':<23}  {'source':<10} {'event':<22} {'caused by':<22} consumed by")
    for event in found["events"]:
        consumers = ", ".join(sorted(event["consumed_by"])) or "-"
        cause = f"{event['caused_by']} #{_position(found, event['causation_id'])}" if event["caused_by"] else "-"
        source = event["emitted_by"] or event["source"] or "?"
        lines.append(f"{event['position']:>3}  {_short(_time(event['occurred_at'])):<23}  {source:<10} "
                     f"{event['type']:<22} {cause:<22} {consumers}")
    if not found["events"]:
        lines.append("     (no service has seen an event for this correlation id)")
    if found["state_changes"]:
        lines += ["", "state changes:"]
        lines += [f"     {_short(_time(c['time'])):<23}  {c['service']:<10} {c['record']} {c['id']}: {c['change']}"
                  for c in found["state_changes"]]
    lines.append("")
    for order in found.get("work_orders") or []:
        lines.append(f"work order {order.get('id')}: {order.get('status')}, engineer {order.get('engineer_id') or '-'}")
    for settlement in found.get("settlements") or []:
        totals = settlement.get("totals") or {}
        lines.append(f"settlement {settlement.get('settlement_id') or settlement.get('id')}: "
                     + ", ".join(f"{who} {amount}" for who, amount in totals.items()))
    for record in found.get("failures") or []:
        failure = record.get("failure") or record
        lines.append(f"failure record: {failure.get('failure_mode') or '-'} of {failure.get('failed_part_no') or '-'}, "
                     f"outcome {record.get('outcome') or '-'}")
    for what, why in found["unreachable"].items():
        lines.append(f"not heard from {what}: {why}")
    return "\n".join(lines)


def _position(found: dict, event_id: str | None) -> Any:
    for event in found["events"]:
        if event["event_id"] == event_id:
            return event["position"]
    return "?"
