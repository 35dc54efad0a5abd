"""Alembic glue: each service's migrations/env.py calls ``run_env`` with its metadata."""
from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(migrations_dir: Path, engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["engine"] = engine
    return config


def upgrade(migrations_dir: Path, engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(migrations_dir, engine), revision)


def schema_state(migrations_dir: Path, engine: Engine) -> str:
    """``current``, ``behind`` (migrations this code has are still to run) or ``ahead`` (a newer version ran).

    Ahead counts as usable: migrations only ever add what the previous version can live with.
    """
    script = ScriptDirectory.from_config(alembic_config(migrations_dir, engine))
    with engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    if applied == set(script.get_heads()):
        return "current"
    known = {revision.revision for revision in script.walk_revisions()}
    return "ahead" if applied and not applied & known else "behind"


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
