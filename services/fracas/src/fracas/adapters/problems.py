"""Problems and their audit trail in FRACAS's database."""
from __future__ import annotations

import abc
import dataclasses

from sqlalchemy import Connection, bindparam, insert, select, update

from ..domain.problems import CLOSED, AuditEntry, Problem
from .tables import problem_audit, problems


class ConcurrentChange(Exception):
    """Someone else changed the problem since it was read."""


class AbstractProblemRepository(abc.ABC):
    @abc.abstractmethod
    def add(self, problem: Problem) -> None: ...

    @abc.abstractmethod
    def get(self, problem_id: str) -> Problem | None: ...

    @abc.abstractmethod
    def save(self, problem: Problem) -> None:
        """Writes a changed problem; raises ConcurrentChange unless it is one version after the stored one."""

    @abc.abstractmethod
    def list(self, status: str | None = None, model: str | None = None) -> list[Problem]: ...

    @abc.abstractmethod
    def audit(self, problem_id: str, entry: AuditEntry) -> None: ...

    @abc.abstractmethod
    def trail(self, problem_id: str) -> list[AuditEntry]: ...

    def active(self, model: str) -> list[Problem]:
        return [problem for problem in self.list(model=model) if problem.status != CLOSED]


_FIELDS = [f.name for f in dataclasses.fields(Problem)]
_AUDIT_FIELDS = [f.name for f in dataclasses.fields(AuditEntry)]
# Every new incident looks up its model's problems: that statement is built once.
_OF_MODEL = select(problems).where(problems.c.model == bindparam("model")) \
    .order_by(problems.c.opened_at, problems.c.problem_id)


class SqlProblemRepository(AbstractProblemRepository):
    def __init__(self, connection: Connection):
        self.connection = connection

    def add(self, problem: Problem) -> None:
        self.connection.execute(insert(problems).values(**dataclasses.asdict(problem)))

    def get(self, problem_id: str) -> Problem | None:
        row = self.connection.execute(select(problems).where(problems.c.problem_id == problem_id)).mappings().first()
        return None if row is None else Problem(**{name: row[name] for name in _FIELDS})

    def save(self, problem: Problem) -> None:
        values = dataclasses.asdict(problem)
        result = self.connection.execute(
            update(problems).where(problems.c.problem_id == problem.problem_id,
                                   problems.c.version == problem.version - 1).values(**values))
        if result.rowcount != 1:
            raise ConcurrentChange(problem.problem_id)

    def list(self, status: str | None = None, model: str | None = None) -> list[Problem]:
        if status is None and model is not None:
            return self._problems(self.connection.execute(_OF_MODEL, {"model": model}))
        query = select(problems).order_by(problems.c.opened_at, problems.c.problem_id)
        if status is not None:
            query = query.where(problems.c.status == status)
        if model is not None:
            query = query.where(problems.c.model == model)
        return self._problems(self.connection.execute(query))

    @staticmethod
    def _problems(result) -> list[Problem]:
        return [Problem(**{name: row[name] for name in _FIELDS}) for row in result.mappings()]

    def audit(self, problem_id: str, entry: AuditEntry) -> None:
        self.connection.execute(insert(problem_audit).values(problem_id=problem_id, **dataclasses.asdict(entry)))

    def trail(self, problem_id: str) -> list[AuditEntry]:
        query = select(problem_audit).where(problem_audit.c.problem_id == problem_id).order_by(problem_audit.c.id)
        return [AuditEntry(**{name: row[name] for name in _AUDIT_FIELDS})
                for row in self.connection.execute(query).mappings()]
