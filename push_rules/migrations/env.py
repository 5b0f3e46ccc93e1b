"""Alembic environment: the engine comes from ``push_rules.db.alembic_config`` (config.attributes["engine"])."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from push_rules.models import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:  # plain `alembic -x url=... upgrade head`
    engine = create_engine(context.get_x_argument(as_dictionary=True)["url"])

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # A batch migration rebuilds a table and drops the old one; with foreign keys on, that drop would delete
        # every referencing row (ON DELETE CASCADE). SQLite ignores this pragma inside a transaction: set it first.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                version_table="push_alembic_version",
                render_as_batch=sqlite,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
