"""One process serving several regions: a consumer per regional queue, side by side.

With one region (or none) the shared entry points do everything; with several, the consumer (and the
worker, which also relays the outbox and runs the periodic jobs) runs one EventConsumer per region's
queue in its own thread, all on the same handlers and database.
"""
from __future__ import annotations

import threading

from aftersales_shared.amqp import blocking_connection
from aftersales_shared.cli import _on_stop_signals, _relay, _start_scheduler
from aftersales_shared.consumer import EventConsumer
from aftersales_shared.topology import declare_core

from ..bootstrap import DispatchRuntime


def declare(runtime: DispatchRuntime) -> int:
    connection = blocking_connection(runtime.messaging, "dispatch-declare")
    try:
        channel = connection.channel()
        declare_core(channel, runtime.messaging)
        for topology in runtime.topologies:
            topology.declare(channel)
    finally:
        connection.close()
    return 0


def consume(runtime: DispatchRuntime, with_relay: bool) -> int:
    consumers = [EventConsumer(runtime.bus, topology, runtime.messaging) for topology in runtime.topologies]
    relay = _relay(runtime) if with_relay else None
    scheduler = _start_scheduler(runtime)
    stopped = threading.Event()

    def stop() -> None:
        stopped.set()
        for consumer in consumers:
            consumer.should_stop = True
        if relay is not None:
            relay.stop()
        if scheduler is not None:
            scheduler.stop()

    _on_stop_signals(stop)
    threads = [threading.Thread(target=c.run, name=f"dispatch-consumer-{t.region}")
               for c, t in zip(consumers, runtime.topologies)]
    if relay is not None:
        threads.append(threading.Thread(target=relay.run, name="dispatch-relay"))
    for thread in threads:
        thread.start()
    try:
        stopped.wait()
    finally:
        stop()
        for thread in threads:
            thread.join()
    return 0
