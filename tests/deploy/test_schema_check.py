"""`python -m <svc> migrate --check`: what a pod runs before it starts, while its version's migration job
migrates. It changes nothing, and lets a pod start only on a schema its code can use."""
import sqlite3

import pytest

from aftersales_shared.cli import service_main
from intake.bootstrap import build_runtime


@pytest.fixture
def database(tmp_path, monkeypatch):
    path = tmp_path / "intake.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    return path


def tables(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        return {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_an_empty_database_is_behind_and_stays_untouched(database, capsys):
    assert service_main("intake", build_runtime, ["migrate", "--check"]) == 1
    assert "schema behind" in capsys.readouterr().err
    assert "tickets" not in tables(database)


def test_after_the_migration_it_is_current(database, capsys):
    assert service_main("intake", build_runtime, ["migrate"]) == 0
    assert service_main("intake", build_runtime, ["migrate", "--check", "--wait", "5"]) == 0
    assert "schema current" in capsys.readouterr().out


def test_a_schema_a_newer_version_migrated_is_usable(database, capsys):
    assert service_main("intake", build_runtime, ["migrate"]) == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'from_a_newer_version'")
    assert service_main("intake", build_runtime, ["migrate", "--check"]) == 0
    assert "schema ahead" in capsys.readouterr().out


def test_an_older_schema_is_behind(database, capsys):
    assert service_main("intake", build_runtime, ["migrate"]) == 0
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    assert service_main("intake", build_runtime, ["migrate", "--check"]) == 1
    assert "schema behind" in capsys.readouterr().err
