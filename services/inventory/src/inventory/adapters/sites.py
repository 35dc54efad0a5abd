"""Service points and transfers between them, in inventory's database."""
from __future__ import annotations

import abc
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, bindparam, func, insert, select, update

from ..domain.sites import IN_TRANSIT, Site, Transfer
from .repository import insert_ignoring_duplicates
from .tables import sites, transfers


class AbstractSites(abc.ABC):
    @abc.abstractmethod
    def get(self, site: str) -> Site | None: ...

    @abc.abstractmethod
    def learn(self, site: str, region: str, at: datetime) -> None:
        """A site seen in an event: remember its region if nobody said it yet."""

    @abc.abstractmethod
    def put(self, site: Site, at: datetime) -> bool:
        """Stores the site's region and deposit; True when it was new."""

    @abc.abstractmethod
    def in_region(self, region: str) -> list[str]: ...

    @abc.abstractmethod
    def all(self) -> list[Site]: ...


class AbstractTransfers(abc.ABC):
    @abc.abstractmethod
    def add(self, transfer: Transfer) -> None: ...

    @abc.abstractmethod
    def for_update(self, transfer_id: str) -> Transfer | None: ...

    @abc.abstractmethod
    def save(self, transfer: Transfer) -> None: ...

    @abc.abstractmethod
    def of_ticket(self, ticket_id: str) -> list[Transfer]: ...

    @abc.abstractmethod
    def listed(self, site: str | None = None, status: str | None = None) -> list[Transfer]: ...

    @abc.abstractmethod
    def inbound_value(self, site: str) -> Decimal:
        """What is on its way to the site: it counts against the site's deposit already."""


# Built once: every ticket names its site, so these run per ticket (values go as execution parameters).
_SITE = select(sites).where(sites.c.site == bindparam("site"))
_LEARN_REGION = (update(sites).where(sites.c.site == bindparam("b_site"), sites.c.region.is_(None))
                 .values(region=bindparam("region"), updated_at=bindparam("updated_at")))
_PUT_SITE = (update(sites).where(sites.c.site == bindparam("b_site"))
             .values(region=bindparam("region"), deposit=bindparam("deposit"), updated_at=bindparam("updated_at")))
_IN_REGION = select(sites.c.site).where(sites.c.region == bindparam("region")).order_by(sites.c.site)


class SqlSites(AbstractSites):
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, site):
        row = self.connection.execute(_SITE, {"site": site}).mappings().first()
        return None if row is None else Site(row["site"], row["region"], row["deposit"])

    def learn(self, site, region, at):
        insert_ignoring_duplicates(self.connection, sites, [{"site": site, "region": region, "updated_at": at}])
        self.connection.execute(_LEARN_REGION, {"b_site": site, "region": region, "updated_at": at})

    def put(self, site, at):
        new = self.get(site.site) is None
        insert_ignoring_duplicates(self.connection, sites, [{"site": site.site, "updated_at": at}])
        self.connection.execute(_PUT_SITE, {"b_site": site.site, "region": site.region, "deposit": site.deposit,
                                            "updated_at": at})
        return new

    def in_region(self, region):
        return list(self.connection.execute(_IN_REGION, {"region": region}).scalars())

    def all(self):
        rows = self.connection.execute(select(sites).order_by(sites.c.site)).mappings()
        return [Site(row["site"], row["region"], row["deposit"]) for row in rows]


_INSERT_TRANSFER = insert(transfers)
_TRANSFER_FOR_UPDATE = select(transfers).where(transfers.c.id == bindparam("id")).with_for_update()
_SAVE_TRANSFER = (update(transfers).where(transfers.c.id == bindparam("b_id"))
                  .values(status=bindparam("status"), received_at=bindparam("received_at")))
_INBOUND_VALUE = (select(func.sum(transfers.c.qty * transfers.c.unit_cost))
                  .where(transfers.c.to_site == bindparam("site"), transfers.c.status == IN_TRANSIT))


class SqlTransfers(AbstractTransfers):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, transfer):
        self.connection.execute(_INSERT_TRANSFER, vars(transfer))

    def for_update(self, transfer_id):
        row = self.connection.execute(_TRANSFER_FOR_UPDATE, {"id": transfer_id}).mappings().first()
        return None if row is None else Transfer(**row)

    def save(self, transfer):
        self.connection.execute(_SAVE_TRANSFER, {"b_id": transfer.id, "status": transfer.status,
                                                 "received_at": transfer.received_at})

    def of_ticket(self, ticket_id):
        rows = self.connection.execute(
            select(transfers).where(transfers.c.ticket_id == ticket_id).order_by(transfers.c.shipped_at)).mappings()
        return [Transfer(**row) for row in rows]

    def listed(self, site=None, status=None):
        query = select(transfers).order_by(transfers.c.shipped_at, transfers.c.id)
        if site is not None:
            query = query.where((transfers.c.to_site == site) | (transfers.c.from_site == site))
        if status is not None:
            query = query.where(transfers.c.status == status)
        return [Transfer(**row) for row in self.connection.execute(query).mappings()]

    def inbound_value(self, site):
        value = self.connection.execute(_INBOUND_VALUE, {"site": site}).scalar()
        return Decimal(value or 0)
