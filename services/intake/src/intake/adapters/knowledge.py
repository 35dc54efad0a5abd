"""The knowledge base's table; full-text search on PostgreSQL, every word as a substring on SQLite."""
from __future__ import annotations

from sqlalchemy import Connection, and_, func, insert, literal, or_, select, update

from ..domain.knowledge import Article
from .tables import kb_articles

_COLUMNS = ("id", "title", "symptoms", "steps", "likely_parts", "status", "created_at", "symptom_code",
            "source_ticket_id")


class SqlKnowledgeBase:
    def __init__(self, connection: Connection):
        self.connection = connection

    def get(self, article_id: str) -> Article | None:
        row = self.connection.execute(select(kb_articles).where(kb_articles.c.id == article_id)).mappings().first()
        return None if row is None else Article(**{k: row[k] for k in _COLUMNS})

    def add(self, article: Article) -> None:
        self.connection.execute(insert(kb_articles).values(**{k: getattr(article, k) for k in _COLUMNS}))

    def replace(self, article: Article) -> None:
        self.connection.execute(update(kb_articles).where(kb_articles.c.id == article.id)
                                .values(**{k: getattr(article, k) for k in _COLUMNS if k != "created_at"}))

    def search(self, symptom_code: str | None, text: str | None, status: str | None, limit: int) -> list[Article]:
        query = select(kb_articles)
        if symptom_code:
            query = query.where(kb_articles.c.symptom_code == symptom_code)
        if status:
            query = query.where(kb_articles.c.status == status)
        order = [kb_articles.c.created_at.desc(), kb_articles.c.id]
        if text and text.strip():
            if self.connection.dialect.name == "postgresql":
                document = func.to_tsvector("simple", kb_articles.c.title + literal(" ") + kb_articles.c.symptoms)
                wanted = func.plainto_tsquery("simple", text)
                query = query.where(document.op("@@")(wanted))
                order = [func.ts_rank(document, wanted).desc(), *order]
            else:
                query = query.where(and_(*(or_(kb_articles.c.title.ilike(f"%{word}%", escape="\\"),
                                               kb_articles.c.symptoms.ilike(f"%{word}%", escape="\\"))
                                           for word in _words(text))))
        rows = self.connection.execute(query.order_by(*order).limit(limit)).mappings()
        return [Article(**{k: row[k] for k in _COLUMNS}) for row in rows]


def _words(text: str) -> list[str]:
    return [w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in text.split()][:10]
