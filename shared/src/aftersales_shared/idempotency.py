"""Idempotent writes: a request sent again with its ``Idempotency-Key`` gets the first answer and changes nothing.

Each service keeps the keys in its own database (``idempotency_table``) and reaches them through its unit of
work (``uow.requests``), so the key is taken in the same transaction as the effect it guards:

* ``claim`` at the start of the handler's transaction: a new key is held (a concurrent request with the same
  key waits for this transaction, then finds its answer); a known key gives back the first answer to replay;
  a key used for another request is an ``IdempotencyConflict``.
* ``record`` the answer before committing. The effect, the key and the answer commit together or not at all.

A request is the method and path it was sent to (``scope``) and a hash of its JSON body, so the same key on
another endpoint or with another body is a conflict, and key order or spacing in the body is not.
"""
from __future__ import annotations

import abc
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any, Callable, TypeVar

from sqlalchemy import JSON, Column, Connection, Integer, MetaData, String, Table, bindparam, select, update

from .db import dialect_insert
from .tables import UtcDateTime

T = TypeVar("T")
KEY_LENGTH = 200
SCOPE_LENGTH = 200


@dataclass(frozen=True)
class IdempotentRequest:
    key: str
    scope: str
    request_hash: str

    @classmethod
    def of(cls, key: str | None, scope: str, body: Any) -> "IdempotentRequest | None":
        """None without a key: the request is simply carried out."""
        if key is None:
            return None
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return cls(key, scope, hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class Answer:
    """What the first request was answered: status, JSON body, and the id of what it created, if anything."""

    status_code: int
    body: Any
    resource_id: str | None = None


@dataclass(frozen=True)
class Replayed:
    """A handler's result when the request was answered before: give the first answer again."""

    answer: Answer


class IdempotencyConflict(Exception):
    """The key was used before for another request (another body, or another endpoint)."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"Idempotency-Key {key!r} was already used for a different request.")


def idempotency_table(metadata: MetaData) -> Table:
    return Table(
        "idempotency_keys",
        metadata,
        Column("key", String(KEY_LENGTH), primary_key=True),
        Column("scope", String(SCOPE_LENGTH), nullable=False),
        Column("request_hash", String(64), nullable=False),
        # Null until the answer is recorded, which happens in the transaction that claimed the key.
        Column("status_code", Integer, nullable=True),
        Column("response", JSON, nullable=True),
        Column("resource_id", String(64), nullable=True),
        Column("created_at", UtcDateTime(), nullable=False),
    )


class AbstractIdempotencyRepository(abc.ABC):
    @abc.abstractmethod
    def claim(self, request: IdempotentRequest, now: datetime) -> Answer | None:
        """None: the key is new and held by this transaction. An Answer: the first one, to give again.

        Raises IdempotencyConflict when the key was used for another request."""

    @abc.abstractmethod
    def record(self, request: IdempotentRequest, answer: Answer) -> None:
        """Keeps the answer of a request claimed in this transaction."""


def replayed(requests: AbstractIdempotencyRepository, request: IdempotentRequest | None,
             now: datetime) -> Replayed | None:
    """At the start of a handler: the earlier answer to give again, or None to go ahead (the key is held)."""
    if request is None:
        return None
    earlier = requests.claim(request, now)
    return None if earlier is None else Replayed(earlier)


def remember(requests: AbstractIdempotencyRepository, request: IdempotentRequest | None,
             answer: Callable[[T], Answer] | None, result: T) -> None:
    """Before committing: keeps the answer to ``result`` (as ``answer`` writes it) under the request's key."""
    if request is not None:
        requests.record(request, answer(result))


def earlier_answer(request: IdempotentRequest, scope: str, request_hash: str, answer: Answer) -> Answer:
    """``answer``, recorded under the request's key, if it was recorded for this very request."""
    if (scope, request_hash) != (request.scope, request.request_hash):
        raise IdempotencyConflict(request.key)
    return answer


class SqlIdempotencyRepository(AbstractIdempotencyRepository):
    def __init__(self, connection: Connection, table: Table):
        self.connection = connection
        self.table = table

    def claim(self, request: IdempotentRequest, now: datetime) -> Answer | None:
        statements = _statements(self.table, self.connection.dialect.name)
        # On PostgreSQL a concurrent holder of the key makes this wait until it commits or rolls back.
        inserted = self.connection.execute(statements.claim, {
            "key": request.key, "scope": request.scope, "request_hash": request.request_hash, "created_at": now,
        }).rowcount
        if inserted:
            return None
        row = self.connection.execute(statements.by_key, {"b_key": request.key}).mappings().one()
        return earlier_answer(request, row["scope"], row["request_hash"],
                              Answer(row["status_code"], row["response"], row["resource_id"]))

    def record(self, request: IdempotentRequest, answer: Answer) -> None:
        self.connection.execute(_statements(self.table, self.connection.dialect.name).record, {
            "b_key": request.key, "status_code": answer.status_code, "response": answer.body,
            "resource_id": answer.resource_id,
        })


@cache
def _statements(table: Table, dialect_name: str) -> SimpleNamespace:
    """Built once per table and dialect: on a creating POST, building statements cost more than running them."""
    by_key = table.c.key == bindparam("b_key")
    return SimpleNamespace(
        claim=dialect_insert(dialect_name, table).on_conflict_do_nothing(),
        by_key=select(table).where(by_key),
        record=update(table).where(by_key),
    )
