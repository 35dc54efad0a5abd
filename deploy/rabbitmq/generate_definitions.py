#!/usr/bin/env python3
"""Generate deploy/rabbitmq/definitions.json (users, permissions, topology).

Passwords come from the same environment variables docker-compose.yml uses
(<SVC>_AMQP_PASSWORD, RABBITMQ_ADMIN_PASSWORD), falling back to the dev
defaults. Hashes are rabbit_password_hashing_sha256:
base64(salt4 + sha256(salt4 + utf8(password))). An existing hash that still
verifies against the password is kept, so regenerating is diff-stable.

    python deploy/rabbitmq/generate_definitions.py
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from pathlib import Path

OUT = Path(__file__).with_name("definitions.json")
VHOST = "/"
EVENTS_EXCHANGE = "aftersales.events"
DLX = "aftersales.dlx"
RETRY_TTLS_MS = (1000, 5000, 30000)
HASHING = "rabbit_password_hashing_sha256"

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


def dev_password(svc: str) -> str:
    return os.environ.get(f"{svc.upper()}_AMQP_PASSWORD", f"{svc}-amqp-dev")


def admin_password() -> str:
    return os.environ.get("RABBITMQ_ADMIN_PASSWORD", "admin-dev")


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode("utf-8")).digest()).decode()


def verify_password(password: str, password_hash: str) -> bool:
    raw = base64.b64decode(password_hash)
    return len(raw) == 36 and hash_password(password, raw[:4]) == password_hash


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


def build(existing: dict) -> dict:
    old_hashes = {u["name"]: u.get("password_hash", "") for u in existing.get("users", [])}

    def user(name: str, password: str, tags: list[str]) -> dict:
        old = old_hashes.get(name, "")
        pw_hash = old if old and verify_password(password, old) else hash_password(password)
        return {"name": name, "password_hash": pw_hash, "hashing_algorithm": HASHING,
                "tags": tags}

    users = [user("admin", admin_password(), ["administrator"])]
    perms = [{"user": "admin", "vhost": VHOST, "configure": ".*", "write": ".*", "read": ".*"}]
    queues, bindings = [], []
    for svc, (publishes, patterns) in SERVICES.items():
        users.append(user(svc, dev_password(svc), []))
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
    existing = json.loads(OUT.read_text()) if OUT.exists() else {}
    OUT.write_text(json.dumps(build(existing), indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
