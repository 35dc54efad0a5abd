"""What billing tells the other services; the wire format of each is the entrypoints' business."""
from __future__ import annotations

from dataclasses import dataclass

from .settlement import Settlement


@dataclass(frozen=True)
class SettlementPosted:
    settlement: Settlement
