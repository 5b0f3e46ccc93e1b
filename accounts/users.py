"""User accounts: username, argon2 password hash, role, and the enterprise an enterprise user belongs to.

Stored in ``<data_dir>/accounts.sqlite3`` (table ``users``); API tokens live in the same file (see
:mod:`accounts.tokens`). The plain password is never stored or logged: only its argon2id hash.

Usage::

    store = AccountStore(settings.data_dir / "accounts.sqlite3")
    store.create_user("admin", "s3cret-pass", Role.ADMIN)
    user = store.authenticate("admin", "s3cret-pass")  # None when wrong
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from accounts.passwords import password_problem
from policy.errors import PolicyKBError
from policy.labels import LabelledEnum

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    enterprise_id INTEGER,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX IF NOT EXISTS sessions_of_user ON sessions(user_id, ended_at);
"""


class Role(LabelledEnum, unknown="未知角色“{value}”"):
    VISITOR = "visitor", "访客"
    ENTERPRISE = "enterprise", "企业用户"
    STAFF = "staff", "工作人员"
    ADMIN = "admin", "管理员"

    @classmethod
    def offered(cls) -> list[Role]:
        return [role for role in cls if role is not cls.VISITOR]

    @property
    def privileged(self) -> bool:
        """Staff and admins: they change the library and accounts, so their passwords follow the stricter rules."""
        return self in (Role.STAFF, Role.ADMIN)

    @classmethod
    def from_str(cls, value: str) -> Role:
        try:
            return super().from_str(value)
        except ValueError as exc:
            raise AccountError(str(exc)) from None


class AccountError(PolicyKBError):
    """A user that cannot be created or changed as asked; the message is Chinese and says why."""

    status_code = 422


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    enterprise_id: int | None
    created_at: str
    disabled: bool = False


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AccountStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(_SCHEMA)
        self._hasher = PasswordHasher()

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> AccountStore:
        return cls(data_dir / "accounts.sqlite3")

    def close(self) -> None:
        self._db.close()

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        """Run one statement under the store's lock (used by :mod:`accounts.tokens`, which shares the file)."""
        with self._lock:
            return self._db.execute(sql, params)

    @staticmethod
    def _user(row: tuple[Any, ...] | None) -> User | None:
        if row is None:
            return None
        id_, username, role, enterprise_id, created_at, disabled = row
        return User(int(id_), str(username), Role(role), int(enterprise_id) if enterprise_id is not None else None, str(created_at), bool(disabled))

    _COLUMNS = "id, username, role, enterprise_id, created_at, disabled"

    def create_user(self, username: str, password: str, role: Role, enterprise_id: int | None = None) -> User:
        """Create a user; :raises AccountError: for an empty or taken name, a password the policy refuses
        (:mod:`accounts.passwords`), or a visitor role."""
        username = username.strip()
        if not username:
            raise AccountError("用户名不能为空")
        if role is Role.VISITOR:
            raise AccountError("访客无需账号")
        if problem := password_problem(password, username, privileged=role.privileged):
            raise AccountError(problem)
        if enterprise_id is not None and role is not Role.ENTERPRISE:
            raise AccountError("只有企业用户可以关联企业")
        try:
            cursor = self.execute(
                "INSERT INTO users (username, password_hash, role, enterprise_id, created_at) VALUES (?, ?, ?, ?, ?)",
                (username, self._hasher.hash(password), role.value, enterprise_id, _now()),
            )
        except sqlite3.IntegrityError:
            raise AccountError(f"用户名“{username}”已存在") from None
        user = self.get(int(cursor.lastrowid or 0))
        assert user is not None
        return user

    def get(self, user_id: int) -> User | None:
        return self._user(self.execute(f"SELECT {self._COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone())

    def get_by_username(self, username: str) -> User | None:
        return self._user(self.execute(f"SELECT {self._COLUMNS} FROM users WHERE username = ?", (username.strip(),)).fetchone())

    def list_users(self) -> list[User]:
        rows = self.execute(f"SELECT {self._COLUMNS} FROM users ORDER BY id").fetchall()
        return [user for row in rows if (user := self._user(row)) is not None]

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when ``password`` is right and the account is enabled, else None (same answer for a wrong name)."""
        row = self.execute("SELECT id, password_hash FROM users WHERE username = ?", (username.strip(),)).fetchone()
        if row is None:
            # Hash anyway, so a wrong user name takes as long as a wrong password.
            self._hasher.hash(password)
            return None
        try:
            self._hasher.verify(row[1], password)
        except (VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(row[1]):
            self.execute("UPDATE users SET password_hash = ? WHERE id = ?", (self._hasher.hash(password), row[0]))
        user = self.get(int(row[0]))
        return user if user is not None and not user.disabled else None

    def link_enterprise(self, user_id: int, enterprise_id: int, replacing: int | None = None) -> None:
        """Link an enterprise user that has none yet to the enterprise profile it just created.

        ``replacing``: the enterprise the user is linked to but that no longer exists; that link is replaced too.
        """
        self.execute(
            "UPDATE users SET enterprise_id = ? WHERE id = ? AND role = ? AND (enterprise_id IS NULL OR enterprise_id = ?)",
            (enterprise_id, user_id, Role.ENTERPRISE.value, replacing),
        )

    def unlink_enterprise(self, enterprise_id: int) -> int:
        """Unlink every user of an enterprise that was deleted (each may then create or be given another one).

        :returns: how many users were linked to it.
        """
        return self.execute("UPDATE users SET enterprise_id = NULL WHERE enterprise_id = ?", (enterprise_id,)).rowcount

    def linked_enterprise_ids(self) -> set[int]:
        """Every enterprise id some user is linked to."""
        rows = self.execute("SELECT DISTINCT enterprise_id FROM users WHERE enterprise_id IS NOT NULL").fetchall()
        return {int(row[0]) for row in rows}

    def set_disabled(self, username: str, disabled: bool) -> bool:
        """Disable (ending every session of the user) or enable ``username``; False when there is no such user."""
        user = self.get_by_username(username)
        if user is None:
            return False
        self.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user.id))
        if disabled:
            self.end_sessions(user.id)
        return True

    def set_password(self, username: str, password: str) -> bool:
        """Give ``username`` a new password and end every session of the user; False when there is no such user.

        :raises AccountError: the password policy refuses it.
        """
        user = self.get_by_username(username)
        if user is None:
            return False
        if problem := password_problem(password, user.username, privileged=user.role.privileged):
            raise AccountError(problem)
        self.execute("UPDATE users SET password_hash = ? WHERE id = ?", (self._hasher.hash(password), user.id))
        self.end_sessions(user.id)
        return True

    def end_sessions(self, user_id: int) -> int:
        """End every open session of ``user_id`` (:mod:`accounts.sessions`); returns how many were open."""
        return self.execute("UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL", (_now(), user_id)).rowcount
