"""Alembic glue: each service's migrations/env.py calls ``run_env`` with its metadata."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(migrations_dir: Path, engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["engine"] = engine
    return config


def upgrade(migrations_dir: Path, engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, engine), revision)


def run_env(target_metadata) -> None:
    config = context.config
    engine: Engine | None = config.attributes.get("engine")
    if engine is None:
        from .db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise SystemExit("no database: pass an engine or set sqlalchemy.url")
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
