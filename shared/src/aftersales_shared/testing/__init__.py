"""Test helpers for the after-sales services.

pytest fixtures: ``pytest_plugins = ["aftersales_shared.testing.fixtures"]`` in a conftest.py.
Plain helpers (importable anywhere): ``unique``, ``unique_event_type``, ``wait_for``, ``TcpProxy``,
``WireTap`` and the broker tools in ``aftersales_shared.testing.amqp``; contract-shaped events to feed a
consumer in ``aftersales_shared.testing.events``; row counts, snapshots and outbox contents of a service's
database in ``aftersales_shared.testing.database``.
"""
from .helpers import RUN_ID, unique, unique_event_type, wait_for
from .tcpproxy import TcpProxy

__all__ = ["RUN_ID", "TcpProxy", "WireTap", "unique", "unique_event_type", "wait_for"]


def __getattr__(name: str):
    # pika is only needed by the broker tools; import it when they are used.
    if name == "WireTap":
        from .amqp import WireTap

        return WireTap
    raise AttributeError(name)
