"""Idempotency keys on the real databases: a key is held by the transaction that claimed it, and a concurrent
request with the same key waits for that transaction and then gets its answer."""
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import MetaData, text

from aftersales_shared.db import make_engine
from aftersales_shared.idempotency import (
    Answer, IdempotencyConflict, IdempotentRequest, SqlIdempotencyRepository, idempotency_table,
)
from aftersales_shared.testing import wait_for

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=timezone.utc)
REQUEST = IdempotentRequest.of("k-1", "POST /api/v1/things", {"name": "pump", "qty": 2})
ANSWER = Answer(201, {"id": "T-1", "name": "pump"}, "T-1")


@pytest.fixture
def keys(any_database):
    engine = make_engine(any_database)
    metadata = MetaData()
    table = idempotency_table(metadata)
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def _claim_and_answer(engine, table, request=REQUEST, answer=ANSWER, commit=True):
    with engine.connect() as connection:
        connection.begin()
        requests = SqlIdempotencyRepository(connection, table)
        earlier = requests.claim(request, NOW)
        if earlier is None:
            requests.record(request, answer)
            if commit:
                connection.commit()
        return earlier


def test_a_new_key_is_held_and_its_answer_kept(keys):
    engine, table = keys
    assert _claim_and_answer(*keys) is None
    assert _claim_and_answer(*keys) == ANSWER


def test_the_same_key_for_another_body_or_endpoint_is_a_conflict(keys):
    _claim_and_answer(*keys)
    other_body = IdempotentRequest.of("k-1", "POST /api/v1/things", {"name": "pump", "qty": 3})
    other_endpoint = IdempotentRequest.of("k-1", "POST /api/v1/other", {"name": "pump", "qty": 2})
    for request in (other_body, other_endpoint):
        with pytest.raises(IdempotencyConflict, match="k-1"):
            _claim_and_answer(*keys, request=request)


def test_a_key_whose_transaction_rolled_back_is_free_again(keys):
    assert _claim_and_answer(*keys, commit=False) is None
    assert _claim_and_answer(*keys) is None


def test_the_body_is_compared_whatever_its_key_order_and_spacing():
    assert IdempotentRequest.of("k", "POST /x", {"a": 1, "b": [1, 2]}) == IdempotentRequest.of(
        "k", "POST /x", {"b": [1, 2], "a": 1})
    assert IdempotentRequest.of(None, "POST /x", {}) is None


def test_a_concurrent_claim_of_the_same_key_waits_for_the_holder_and_gets_its_answer(pg_database):
    engine = make_engine(pg_database("idem"))
    metadata = MetaData()
    table = idempotency_table(metadata)
    metadata.create_all(engine)
    second: dict = {}
    try:
        with engine.connect() as holder:
            holder.begin()
            requests = SqlIdempotencyRepository(holder, table)
            assert requests.claim(REQUEST, NOW) is None

            waiter = threading.Thread(target=lambda: second.update(answer=_claim_and_answer(engine, table)))
            waiter.start()
            with engine.connect() as observer:
                waiting = text("SELECT count(*) FROM pg_stat_activity "
                               "WHERE wait_event_type = 'Lock' AND datname = current_database()")
                wait_for(lambda: observer.execute(waiting).scalar_one() == 1,
                         message="the second claim never waited for the first")
            assert waiter.is_alive()
            requests.record(REQUEST, ANSWER)
            holder.commit()
            waiter.join(timeout=10)
        assert second == {"answer": ANSWER}
    finally:
        engine.dispose()
