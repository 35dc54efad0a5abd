"""What inventory tells the other services; the wire format of each is the entrypoints' business."""
from __future__ import annotations

from dataclasses import dataclass

from .catalogue import PartPriceChanged
from .custody import FaultyPartReturned
from .reservations import Reservation

__all__ = ["FaultyPartReturned", "PartPriceChanged", "PartReservationFailed", "PartReserved"]


@dataclass(frozen=True)
class PartReserved:
    reservation: Reservation


@dataclass(frozen=True)
class PartReservationFailed:
    """Nothing was held; the reservation lists what was short."""

    reservation: Reservation
