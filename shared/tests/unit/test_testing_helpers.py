"""The shared test helpers themselves (no network)."""
import re
import threading
import time

import pytest

from aftersales_shared.testing import RUN_ID, unique, unique_event_type, wait_for
from aftersales_shared.testing.amqp import AmqpTarget, redact, vhost_url


def test_run_id_is_short_and_stable(run_id):
    assert run_id == RUN_ID
    assert re.fullmatch(r"[0-9a-f]{8}", run_id) or len(run_id) <= 16


def test_unique_names():
    names = {unique("r") for _ in range(50)}
    assert len(names) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9-]{1,32}", name) for name in names)  # usable as region/site codes
    assert re.fullmatch(r"db_\w+_\d+", unique("db", sep="_"))


def test_unique_event_types_are_pascal_case():
    types = {unique_event_type() for _ in range(60)}
    assert len(types) == 60
    assert all(re.fullmatch(r"[A-Z][A-Za-z]+", t) for t in types)


def test_wait_for_returns_the_truthy_value():
    values = iter([None, 0, [], "done"])
    assert wait_for(lambda: next(values), timeout=2, interval=0.001) == "done"


def test_wait_for_times_out_with_the_message():
    started = time.monotonic()
    with pytest.raises(AssertionError, match="never ready"):
        wait_for(lambda: False, timeout=0.2, interval=0.01, message="never ready")
    assert 0.2 <= time.monotonic() - started < 2


def test_wait_for_message_can_be_computed_at_failure():
    state = {"n": 0}

    def tick():
        state["n"] += 1
        return False

    with pytest.raises(AssertionError) as caught:
        wait_for(tick, timeout=0.05, interval=0.01, message=lambda: f"after {state['n']} polls")
    assert "after" in str(caught.value)


def test_wait_for_propagates_unexpected_errors_and_ignores_listed_ones():
    with pytest.raises(KeyError):
        wait_for(lambda: {}["x"], timeout=1)
    attempts = iter([ConnectionError, ConnectionError, None])

    def flaky():
        error = next(attempts)
        if error:
            raise error("not yet")
        return "up"

    assert wait_for(flaky, timeout=2, interval=0.001, ignore=(ConnectionError,)) == "up"
    with pytest.raises(AssertionError, match="last error"):
        wait_for(lambda: (_ for _ in ()).throw(ConnectionError("down")), timeout=0.05, interval=0.01,
                 ignore=(ConnectionError,))


def test_wait_for_sees_changes_from_other_threads():
    event = threading.Event()
    threading.Timer(0.05, event.set).start()
    assert wait_for(event.is_set, timeout=2)


def test_vhost_urls_are_quoted():
    assert vhost_url("amqp://guest:guest@127.0.0.1:5672/%2F", "a/b c") == "amqp://guest:guest@127.0.0.1:5672/a%2Fb%20c"
    assert vhost_url("amqp://u:p%40ss@rabbit/x", "t-1") == "amqp://u:p%40ss@rabbit:5672/t-1"
    target = AmqpTarget.from_url("amqp://rabbit:5673")
    assert (target.host, target.port, target.user, target.password) == ("rabbit", 5673, "guest", "guest")
    assert redact("amqp://u:secret@h:1/v") == "amqp://u:***@h:1/v"
