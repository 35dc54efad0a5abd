"""Reading fee schedules (every version) from JSON: the one shipped with the package, or an override file."""
from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from os import PathLike

from billing.domain.fees import FeeSchedules

DEFAULT_SCHEDULE_RESOURCE = "fee_schedule.json"


@cache
def load_default_schedule() -> FeeSchedules:
    text = files("billing").joinpath(DEFAULT_SCHEDULE_RESOURCE).read_text(encoding="utf-8")
    return _parse(text, source=f"billing/{DEFAULT_SCHEDULE_RESOURCE}")


def load_schedule(path: str | PathLike[str]) -> FeeSchedules:
    with open(path, encoding="utf-8") as schedule_file:
        return _parse(schedule_file.read(), source=str(path))


def _parse(text: str, source: str) -> FeeSchedules:
    # The source goes into the message so an operator knows which file to fix.
    try:
        return FeeSchedules.from_mapping(json.loads(text))
    except json.JSONDecodeError as error:
        raise ValueError(f"{source}: not valid JSON ({error})") from None
    except ValueError as error:
        raise ValueError(f"{source}: {error}") from None
