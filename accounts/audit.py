"""Audit log of staff and admin actions: who uploaded, edited, published, retired or deleted what, and when.

Append-only: :class:`AuditLog` can only add and read entries, and SQLite triggers refuse any UPDATE or DELETE of
``audit_log`` (in ``<data_dir>/audit.sqlite3``). The web app writes an entry for every state-changing request a
staff member or admin makes (:mod:`webui.audit`); ``policykb users`` writes its changes as done by ``命令行``.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    status INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
"""


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    username: str
    role: str
    action: str
    target: str
    detail: str
    status: int


class AuditLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> AuditLog:
        return cls(data_dir / "audit.sqlite3")

    def record(self, username: str, role: str, action: str, target: str = "", detail: str = "", status: int = 200) -> None:
        at = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock:
            self._db.execute(
                "INSERT INTO audit_log (at, username, role, action, target, detail, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (at, username, role, action, target, detail, status),
            )

    def entries(self, limit: int = 200, offset: int = 0) -> list[AuditEntry]:
        """Newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, at, username, role, action, target, detail, status FROM audit_log ORDER BY id DESC LIMIT ? OFFSET ?",
                (limit, offset),
            ).fetchall()
        return [AuditEntry(*row) for row in rows]

    def close(self) -> None:
        self._db.close()
