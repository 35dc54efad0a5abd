"""Settlement documents that break the rules: flagged, and (as the penalty rules in force say) deducted."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Iterable, Optional

from aftersales_shared.vocabulary import MANUFACTURER

from .fees import PenaltyRules, to_money
from .settlement import Settlement

MISSING_SIGNATURE = "missing_signature"
FAILED_CALLBACK = "failed_callback"
REPEAT_REPAIR = "repeat_repair"
SLA_BREACH = "sla_breach"
FLAG_KINDS = (MISSING_SIGNATURE, FAILED_CALLBACK, REPEAT_REPAIR, SLA_BREACH)


@dataclass(frozen=True)
class ComplianceFlag:
    flag_id: str
    ticket_id: str
    kind: str
    detail: str
    raised_at: datetime
    repeat_of: Optional[str] = None
    penalty_settlement_id: Optional[str] = None

    def __post_init__(self) -> None:
        if self.kind not in FLAG_KINDS:
            raise ValueError(f"kind: expected one of {FLAG_KINDS}, got {self.kind!r}")


def clawback_amount(first_job: Iterable[Settlement]) -> Decimal:
    """The labour fee the manufacturer paid for the first job: what its repeat takes back."""
    return to_money(sum(
        (line.amount for settlement in first_job for line in settlement.lines
         if line.kind == "labour" and line.payer == MANUFACTURER),
        Decimal("0.00"),
    ))


def penalty_for(flag: ComplianceFlag, rules: PenaltyRules, first_job: Iterable[Settlement] = ()) -> Decimal:
    """What the flag costs under the rules in force; zero books the flag without a deduction."""
    if flag.kind == MISSING_SIGNATURE:
        return rules.missing_signature
    if flag.kind == FAILED_CALLBACK:
        return rules.failed_callback
    if flag.kind == SLA_BREACH:
        return rules.sla_breach
    return clawback_amount(first_job) if rules.repeat_clawback else Decimal("0.00")
