"""The fault suite's short form: every scenario with a few tickets on one sandboxed platform.

`make faults` (tests/faults/run_faults.py) runs the same scenarios with 1,000 tickets each.
"""
from __future__ import annotations

import pytest

from . import scenarios
from .rig import Rig, details, table

pytestmark = pytest.mark.e2e
SCALE = scenarios.Scale.short()
ROWS = []


@pytest.fixture(scope="module")
def rig(tmp_path_factory, request):
    with Rig(tmp_path_factory.mktemp("faults"), process_model=SCALE.process_model,
             log=lambda message: None) as running:
        yield running
    if ROWS:
        request.config.add_cleanup(lambda: print("\n" + table(ROWS) + "\n" + details(ROWS)))


@pytest.mark.parametrize("scenario", scenarios.ALL, ids=[s.__name__ for s in scenarios.ALL])
def test_nothing_is_lost_duplicated_or_parked(rig, scenario):
    try:
        row = scenario(rig, SCALE)
    except BaseException:
        rig.collect_abandoned(SCALE.settle_timeout)  # the next scenario's books then still add up
        raise
    ROWS.append(row)
    assert row.ok, f"{row.as_dict()}\n{rig.platform.log_tail(40)}"
    assert row.tickets == SCALE.tickets
