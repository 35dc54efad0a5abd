"""Pool bounds given in DATABASE_URL: the most connections one process opens is set where the URL is."""
import pytest

from aftersales_shared.config import ConfigError
from aftersales_shared.db import make_engine


def test_pool_bounds_come_from_the_url_and_never_reach_the_driver():
    engine = make_engine("postgresql://intake@pooler:5432/intake?pool_size=2&max_overflow=0&sslmode=require")
    try:
        assert (engine.pool.size(), engine.pool._max_overflow) == (2, 0)
        assert dict(engine.url.query) == {"sslmode": "require"}
    finally:
        engine.dispose()


def test_without_them_the_defaults_hold():
    engine = make_engine("postgresql://intake@db/intake")
    try:
        assert (engine.pool.size(), engine.pool._max_overflow) == (5, 10)
    finally:
        engine.dispose()


def test_sqlite_accepts_and_drops_them(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/x.db?pool_size=3")
    try:
        assert dict(engine.url.query) == {}
    finally:
        engine.dispose()


@pytest.mark.parametrize("query,name", [("pool_size=0", "pool_size"), ("pool_size=two", "pool_size"),
                                        ("max_overflow=-1", "max_overflow"), ("pool_size=1&pool_size=2", "pool_size")])
def test_a_bad_bound_is_refused_by_name(query, name):
    with pytest.raises(ConfigError, match=f"DATABASE_URL {name} must be"):
        make_engine(f"postgresql://intake@db/intake?{query}")


def test_a_unit_of_work_that_lost_a_deadlock_runs_again_and_other_errors_do_not():
    from sqlalchemy.exc import DBAPIError

    from aftersales_shared.db import retrying_conflicts

    class Deadlock(Exception):
        pgcode = "40P01"

    class Broken(Exception):
        pgcode = "23505"

    runs = []

    def lose_once():
        runs.append(1)
        if len(runs) == 1:
            raise DBAPIError("UPDATE work_orders", {}, Deadlock())
        return "done"

    assert retrying_conflicts(lose_once) == "done" and len(runs) == 2

    def broken():
        raise DBAPIError("INSERT", {}, Broken())

    try:
        retrying_conflicts(broken)
    except DBAPIError as exc:
        assert exc.orig.pgcode == "23505"
    else:
        raise AssertionError("a non-transient error must propagate")
