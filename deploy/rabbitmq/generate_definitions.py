#!/usr/bin/env python3
"""Generate deploy/rabbitmq/definitions.json (users, permissions, topology).

The users carry no password (an empty hash: nobody can log in as them). start.sh sets each password
from the environment once the broker is up, after every boot, so no secret and no password hash is
ever committed. Nothing here reads the environment: run it after a change of topology or permissions.

    python deploy/rabbitmq/generate_definitions.py
"""
from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from typing import Mapping

from aftersales_shared.topology import Topology, broker_definitions

OUT = Path(__file__).with_name("definitions.json")
VHOST = "/"
HASHING = "rabbit_password_hashing_sha256"
ADMIN = "admin"
SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")


def service_topology(service: str, environ: Mapping[str, str] | None = None) -> Topology:
    """What the service declares at start-up with this environment, built by its own composition root."""
    bootstrap = importlib.import_module(f"{service}.bootstrap")
    settings = importlib.import_module(f"{service}.config").Settings.from_env(dict(environ or {}))
    runtime = bootstrap.bootstrap(settings).runtime
    try:
        return runtime.topology
    finally:
        runtime.dispose()


def service_topologies(environ: Mapping[str, str] | None = None) -> dict[str, Topology]:
    """What each service declares at start-up: the one source."""
    return {service: service_topology(service, environ) for service in SERVICES}


def permissions(topology: Topology) -> dict[str, str]:
    return permissions_for([topology])


def permissions_for(topologies: list[Topology]) -> dict[str, str]:
    """One service's user, which may consume several queues (one per region)."""
    settings = topologies[0].settings
    queues = [re.escape(topology.queue_name) for topology in topologies]
    names = queues[0] if len(queues) == 1 else f"({'|'.join(queues)})"
    own = rf"{names}(\.retry\.[0-9]+|\.dlq)?"
    events, dlx, unroutable = (re.escape(name) for name in
                               (settings.exchange, settings.dead_letter_exchange, settings.unroutable_exchange))
    shared = f"{events}|{dlx}|{unroutable}"
    return {
        # every service declares the exchanges and the unroutable queue idempotently before it publishes
        "configure": f"^({own}|{shared})$",
        # publishing to the event exchange may reach its alternate exchange; retries and dead letters
        # go through the default exchange and the dlx
        "write": f"^({own}|{shared}|amq\\.default)$",
        # read on an exchange = may bind from it
        "read": f"^({own}|{shared})$",
    }


def build() -> dict:
    def user(name: str, tags: list[str]) -> dict:
        return {"name": name, "password_hash": "", "hashing_algorithm": HASHING, "tags": tags}

    topologies = service_topologies()
    users = [user(ADMIN, ["administrator"])] + [user(service, []) for service in topologies]
    perms = [{"user": ADMIN, "vhost": VHOST, "configure": ".*", "write": ".*", "read": ".*"}]
    perms += [{"user": service, "vhost": VHOST, **permissions(topology)} for service, topology in topologies.items()]
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
        **broker_definitions(list(topologies.values()), VHOST),
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), indent=2) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
