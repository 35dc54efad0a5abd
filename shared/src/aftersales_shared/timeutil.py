from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def to_rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times inside the platform are timezone-aware UTC")
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("time has no UTC offset")
    return moment.astimezone(timezone.utc)
