"""The embedded SQLite default under concurrent writers: BEGIN IMMEDIATE + busy timeout, never "database is locked"."""
import threading
import time

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update
from sqlalchemy.exc import OperationalError

from aftersales_shared import db
from aftersales_shared.db import make_engine
from aftersales_shared.envelope import new_envelope
from aftersales_shared.tables import inbox_table, outbox_table
from aftersales_shared.unit_of_work import SqlAlchemyUnitOfWork

ROUNDS = 120


def run_threads(*targets):
    errors = []
    barrier = threading.Barrier(len(targets))

    def wrap(target):
        def run():
            barrier.wait()
            try:
                target()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
        return run

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "writer threads hang"
    assert errors == [], f"writers failed: {errors!r}"


def test_two_writers_never_see_database_is_locked_nor_lose_updates(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    metadata = MetaData()
    stock = Table("stock", metadata, Column("part_no", String, primary_key=True), Column("reserved", Integer))
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(stock).values(part_no="P-1", reserved=0))

    def reserve_one_at_a_time():
        for _ in range(ROUNDS):
            # read, think, write: without the write lock taken at BEGIN this interleaves and fails or oversells
            with engine.begin() as connection:
                reserved = connection.execute(select(stock.c.reserved).where(stock.c.part_no == "P-1")).scalar_one()
                time.sleep(0.0005)
                connection.execute(update(stock).where(stock.c.part_no == "P-1").values(reserved=reserved + 1))

    run_threads(reserve_one_at_a_time, reserve_one_at_a_time)
    with engine.connect() as connection:
        assert connection.execute(select(stock.c.reserved)).scalar_one() == 2 * ROUNDS
        assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
    engine.dispose()


def test_two_threads_writing_the_outbox_through_units_of_work(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    metadata.create_all(engine)

    def writer(site):
        def run():
            for n in range(ROUNDS // 2):
                incoming = new_envelope(type="TicketCreated", data={}, source="intake", subject=f"T-{n}",
                                        region="east", site=site)
                with SqlAlchemyUnitOfWork(engine, outbox, inbox) as uow:
                    assert uow.claim(incoming)
                    uow.emit(new_envelope(type="PartReserved", data={"n": n}, source="inventory",
                                          subject=f"T-{n}", region="east", site=site))
                    uow.commit()
        return run

    run_threads(writer("SH-01"), writer("SH-02"))
    with engine.connect() as connection:
        rows = connection.execute(select(outbox.c.position, outbox.c.routing_key)).all()
        claimed = connection.execute(select(inbox.c.event_id)).all()
    assert len(rows) == len(claimed) == ROUNDS
    assert len({row.position for row in rows}) == ROUNDS
    assert {row.routing_key for row in rows} == {"PartReserved.east.SH-01", "PartReserved.east.SH-02"}
    engine.dispose()


def test_commits_are_durable_and_readers_never_wait_for_a_writer(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'reads.db'}")
    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    metadata.create_all(engine)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"

    writer = SqlAlchemyUnitOfWork(engine, outbox, inbox)
    with writer:  # holds the write lock for the whole block
        writer.emit(new_envelope(type="TicketCreated", data={}, source="intake", subject="T-1", region="east",
                                 site="SH-01"))
        started = time.monotonic()
        with SqlAlchemyUnitOfWork(engine, outbox, inbox, read_only=True) as reader:
            count = reader.connection.execute(select(outbox.c.position)).all()
        assert time.monotonic() - started < 1.0, "a read waited for the writer's lock"
        assert count == []
        writer.commit()


def test_a_unit_of_work_rolls_back_whatever_escapes_it(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'rollback.db'}")
    metadata = MetaData()
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    metadata.create_all(engine)
    event = new_envelope(type="TicketCreated", data={}, source="intake", subject="T-1", region="east", site="SH-01")

    class Interrupted(BaseException):
        pass

    uow = SqlAlchemyUnitOfWork(engine, outbox, inbox)
    try:
        with uow:
            uow.claim(event)
            uow.connection.execute(insert(outbox).values(event_id="x", event_type="T", routing_key="T.a.b",
                                                         body="{}", created_at=event.time))
            raise Interrupted()
    except Interrupted:
        pass
    assert uow.connection is None and uow.pending == []
    with engine.connect() as connection:
        assert connection.execute(select(outbox.c.position)).all() == []
        assert connection.execute(select(inbox.c.event_id)).all() == []
    # the lock was released: another writer gets in at once
    with SqlAlchemyUnitOfWork(engine, outbox, inbox) as again:
        assert again.claim(event)
        again.commit()


def test_a_waiting_writer_takes_the_lock_within_milliseconds_of_its_release(tmp_path):
    """SQLite's own busy handler would sleep in chunks of up to 100 ms and take it about 90 ms late here."""
    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    released = {}
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO t VALUES (1)"))

    def release_later():
        time.sleep(0.44)
        released["at"] = time.monotonic()
        holder.commit()

    threading.Thread(target=release_later).start()
    with engine.begin() as connection:
        acquired = time.monotonic()
        connection.execute(text("INSERT INTO t VALUES (2)"))
        busy_timeout = connection.execute(text("PRAGMA busy_timeout")).scalar_one()
    assert acquired - released["at"] < 0.05, f"took the lock {1000 * (acquired - released['at']):.0f} ms late"
    assert busy_timeout == db.SQLITE_BUSY_TIMEOUT_MS  # what any other statement waits for is unchanged
    holder.close()
    engine.dispose()


def test_a_writer_that_cannot_get_the_lock_in_time_gets_the_usual_error_and_nothing_changes(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'held.db'}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO t VALUES (1)"))
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (2)"))
    assert 0.2 <= time.monotonic() - started < 2
    holder.rollback()
    holder.close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 0
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 200
    engine.dispose()
