"""Partner dealers, their secrets (sealed) and the envelope ids they have already posted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, insert, select, update

from ..domain.partners import Partner
from .secret_box import SecretBox
from .tables import partner_receipts, partner_secrets, partners

# Built once for the path every dealer POST takes; values travel as execution parameters.
_PARTNER = select(partners).where(partners.c.partner_id == bindparam("partner_id"))
_ACTIVE_SECRETS = (
    select(partner_secrets.c.secret_encrypted)
    .where(partner_secrets.c.partner_id == bindparam("partner_id"), partner_secrets.c.retired_at.is_(None))
    .order_by(partner_secrets.c.id.desc())
)
_SEEN = select(partner_receipts.c.event_id).where(partner_receipts.c.event_id == bindparam("event_id"))
_RECEIVE = insert(partner_receipts)


class SqlPartnerRepository:
    def __init__(self, connection: Connection, box: SecretBox):
        self.connection, self.box = connection, box

    def get(self, partner_id: str) -> Partner | None:
        row = self.connection.execute(_PARTNER, {"partner_id": partner_id}).mappings().first()
        if row is None:
            return None
        return Partner(row["partner_id"], row["name"], tuple(row["sites"]), tuple(row["event_types"]))

    def add(self, partner: Partner, at: datetime) -> None:
        self.connection.execute(insert(partners).values(
            partner_id=partner.partner_id, name=partner.name, sites=list(partner.sites),
            event_types=list(partner.event_types), created_at=at))

    def active_secrets(self, partner_id: str) -> list[str]:
        """Newest first."""
        rows = self.connection.execute(_ACTIVE_SECRETS, {"partner_id": partner_id}).scalars()
        return [secret for secret in map(self.box.open, rows) if secret is not None]

    def add_secret(self, partner_id: str, secret: str, at: datetime) -> None:
        self.connection.execute(insert(partner_secrets).values(
            partner_id=partner_id, secret_encrypted=self.box.seal(secret), created_at=at))

    def retire_all_but_newest(self, partner_id: str, at: datetime) -> int:
        newest = self.connection.execute(
            select(partner_secrets.c.id).where(partner_secrets.c.partner_id == partner_id,
                                               partner_secrets.c.retired_at.is_(None))
            .order_by(partner_secrets.c.id.desc()).limit(1)).scalar()
        if newest is None:
            return 0
        return self.connection.execute(
            update(partner_secrets).where(partner_secrets.c.partner_id == partner_id,
                                          partner_secrets.c.retired_at.is_(None), partner_secrets.c.id != newest)
            .values(retired_at=at)).rowcount

    def seen(self, event_id: str) -> bool:
        return self.connection.execute(_SEEN, {"event_id": event_id}).first() is not None

    def receive(self, event_id: str, partner_id: str, at: datetime) -> None:
        self.connection.execute(_RECEIVE, {"event_id": event_id, "partner_id": partner_id, "received_at": at})
