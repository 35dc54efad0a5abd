"""What a service's composition root hands to the shared process entry points."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, MetaData, Table

from .bus import EventBus
from .config import MessagingSettings
from .periodic import PeriodicJob
from .topology import Topology


@dataclass
class ServiceRuntime:
    service: str
    messaging: MessagingSettings
    engine: Engine
    metadata: MetaData
    outbox: Table
    migrations_dir: Path
    bus: EventBus | None = None
    # Run by the scheduler in the worker (or consumer) process; see periodic.py.
    periodic_jobs: tuple[PeriodicJob, ...] = ()

    @property
    def inbox(self) -> Table | None:
        return self.metadata.tables.get("inbox")

    @property
    def topology(self) -> Topology | None:
        if self.bus is None:
            return None
        return Topology(self.service, tuple(self.bus.event_types), self.messaging)

    @property
    def topologies(self) -> list[Topology]:
        """The queues a consumer of this service serves: one, or one per region where a service is split
        by region (a runtime says so by overriding this)."""
        topology = self.topology
        return [] if topology is None else [topology]

    def dispose(self) -> None:
        self.engine.dispose()
