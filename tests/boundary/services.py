"""The five services as the web tier runs them: built by their own composition root, on a migrated database."""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from flask import Flask

from aftersales_shared.migrations import upgrade

SERVICES = ("intake", "dispatch", "inventory", "billing", "fracas")


@dataclass
class Running:
    name: str
    container: object
    app: Flask

    @property
    def engine(self):
        return self.container.runtime.engine

    @property
    def metadata(self):
        return self.container.runtime.metadata

    @property
    def bus(self):
        return self.container.runtime.bus

    def dispose(self) -> None:
        self.container.runtime.dispose()


def start(name: str, database_url: str) -> Running:
    """``bootstrap`` from settings in environment form, ``migrate``, then ``create_app()``, as in production."""
    bootstrap = importlib.import_module(f"{name}.bootstrap")
    settings = importlib.import_module(f"{name}.config").Settings.from_env({"DATABASE_URL": database_url})
    container = bootstrap.bootstrap(settings)
    upgrade(bootstrap.MIGRATIONS, container.runtime.engine)
    app = importlib.import_module(f"{name}.entrypoints.flask_app").create_app(container)
    return Running(name, container, app)
