#!/usr/bin/env python3
"""Generate deploy/rabbitmq/definitions.json (users, permissions, topology).

The users carry no password (an empty hash: nobody can log in as them). start.sh sets each password
from the environment once the broker is up, after every boot, so no secret and no password hash is
ever committed. Nothing here reads the environment: run it after a change of topology or permissions.

    python deploy/rabbitmq/generate_definitions.py
"""
from __future__ import annotations

import json
import re
from pathlib import Path

OUT = Path(__file__).with_name("definitions.json")
VHOST = "/"
EVENTS_EXCHANGE = "aftersales.events"
DLX = "aftersales.dlx"
RETRY_TTLS_MS = (1000, 5000, 30000)
HASHING = "rabbit_password_hashing_sha256"
ADMIN = "admin"

# service -> (publishes anything?, binding patterns on aftersales.events)
SERVICES: dict[str, tuple[bool, list[str]]] = {
    "intake": (True, ["PartReserved.#", "PartReservationFailed.#", "EngineerAssigned.#",
                      "RepairCompleted.#", "SettlementPosted.#"]),
    "dispatch": (True, ["TicketCreated.#", "PartReserved.#", "PartReservationFailed.#"]),
    "inventory": (True, ["TicketCreated.#", "RepairCompleted.#"]),
    "billing": (True, ["RepairCompleted.#"]),
    # fracas publishes nothing yet: no write on aftersales.events.
    "fracas": (False, ["TicketCreated.#", "RepairCompleted.#", "SettlementPosted.#"]),
}


def queue_names(svc: str) -> list[str]:
    main = f"{svc}.events"
    return [main, *(f"{main}.retry.{n}" for n in range(1, len(RETRY_TTLS_MS) + 1)), f"{main}.dlq"]


def permissions(svc: str, publishes: bool) -> dict[str, str]:
    own = rf"{re.escape(svc)}\.events(\.retry\.[1-3]|\.dlq)?"
    ex_events, ex_dlx = re.escape(EVENTS_EXCHANGE), re.escape(DLX)
    write_ex = [ex_events, ex_dlx] if publishes else [ex_dlx]
    return {
        "configure": f"^({own}|{ex_events}|{ex_dlx})$",
        "write": f"^({own}|{'|'.join(write_ex)}|amq\\.default)$",
        # read on an exchange = may bind from it; the dlx is included so the
        # service can (re)declare its dlq binding idempotently.
        "read": f"^({own}|{ex_events}|{ex_dlx})$",
    }


def build() -> dict:
    def user(name: str, tags: list[str]) -> dict:
        return {"name": name, "password_hash": "", "hashing_algorithm": HASHING, "tags": tags}

    users = [user(ADMIN, ["administrator"])]
    perms = [{"user": ADMIN, "vhost": VHOST, "configure": ".*", "write": ".*", "read": ".*"}]
    queues, bindings = [], []
    for svc, (publishes, patterns) in SERVICES.items():
        users.append(user(svc, []))
        perms.append({"user": svc, "vhost": VHOST, **permissions(svc, publishes)})
        main, *retries, dlq = queue_names(svc)
        queues.append(_queue(main, {"x-dead-letter-exchange": DLX, "x-dead-letter-routing-key": dlq}))
        for name, ttl in zip(retries, RETRY_TTLS_MS):
            queues.append(_queue(name, {"x-message-ttl": ttl, "x-dead-letter-exchange": "",
                                        "x-dead-letter-routing-key": main}))
        queues.append(_queue(dlq, {}))
        bindings += [_binding(EVENTS_EXCHANGE, main, p) for p in patterns]
        bindings.append(_binding(DLX, dlq, dlq))
    exchanges = [_exchange(EVENTS_EXCHANGE, "topic"), _exchange(DLX, "direct")]
    return {
        "rabbit_version": "3.13.7",
        "rabbitmq_version": "3.13.7",
        "users": users,
        "vhosts": [{"name": VHOST}],
        "permissions": perms,
        "topic_permissions": [],
        "parameters": [],
        "global_parameters": [],
        "policies": [],
        "queues": queues,
        "exchanges": exchanges,
        "bindings": bindings,
    }


def _queue(name: str, arguments: dict) -> dict:
    return {"name": name, "vhost": VHOST, "durable": True, "auto_delete": False, "arguments": arguments}


def _exchange(name: str, kind: str) -> dict:
    return {"name": name, "vhost": VHOST, "type": kind, "durable": True, "auto_delete": False,
            "internal": False, "arguments": {}}


def _binding(source: str, queue: str, key: str) -> dict:
    return {"source": source, "vhost": VHOST, "destination": queue, "destination_type": "queue",
            "routing_key": key, "arguments": {}}


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
