from decimal import Decimal

from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from aftersales_shared.db import make_engine
from aftersales_shared.tables import ExactDecimal


def test_amounts_round_trip_exactly_on_sqlite_and_round_half_up(tmp_path):
    metadata = MetaData()
    amounts = Table("amounts", metadata, Column("id", Integer, primary_key=True),
                    Column("value", ExactDecimal(12, 2), nullable=False))
    engine = make_engine(f"sqlite:///{tmp_path}/amounts.db")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(insert(amounts), [{"id": 1, "value": Decimal("0.10")},
                                             {"id": 2, "value": Decimal("9999999999.99")},
                                             {"id": 3, "value": Decimal("2.345")}])
        stored = connection.execute(text("SELECT typeof(value), value FROM amounts ORDER BY id")).all()
        loaded = connection.execute(select(amounts.c.value).order_by(amounts.c.id)).scalars().all()
    assert [kind for kind, _ in stored] == ["text", "text", "text"], "never stored as a float"
    assert loaded == [Decimal("0.10"), Decimal("9999999999.99"), Decimal("2.35")]
    assert all(isinstance(value, Decimal) for value in loaded)
