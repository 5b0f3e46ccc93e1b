"""ids that authorisation compares are never reused (issue 23)

SQLite gives a new row the highest rowid plus one, so after the newest enterprise is deleted the next one got its
id, and the deleted enterprise's users could read and change it. AUTOINCREMENT keeps the largest id ever given in
``sqlite_sequence`` instead. SQLite cannot add AUTOINCREMENT to a table, so each table is rebuilt (batch mode) with
its rows and ids kept; ``env.py`` turns foreign keys off first, so dropping the old table cascades nowhere.
PostgreSQL sequences never go back: nothing to do there.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

TABLES = ('push_enterprises', 'push_subscriptions', 'push_inbox')


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if bind.exec_driver_sql('PRAGMA foreign_keys').scalar():
        rows = sum(bind.exec_driver_sql(f'SELECT count(*) FROM {table}').scalar() or 0 for table in TABLES)
        if rows:
            raise RuntimeError('foreign keys must be off while push tables are rebuilt, or their rows cascade away')
    for table in TABLES:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
            pass
    problems = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
    if problems:
        raise RuntimeError(f'foreign key check failed after the rebuild: {problems[:5]}')


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
