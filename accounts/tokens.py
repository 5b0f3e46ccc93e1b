"""API tokens for integrations: ``Authorization: Bearer pkb_…`` acts as the token's user.

A token is 32 random bytes shown once at creation; only its SHA-256 is stored (a random token needs no slow
hash), in the ``api_tokens`` table of ``accounts.sqlite3``. Revoked tokens stop working at once.

Usage::

    tokens = TokenStore(AccountStore.for_data_dir(data_dir))
    record, token = tokens.create(user.id, "OA 系统对接")  # ``token`` is shown once, never stored
    tokens.user_for(token)  # the user, while the token is live
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from accounts.users import AccountStore, User

TOKEN_PREFIX = "pkb_"


@dataclass(frozen=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: str
    revoked_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at, "revoked": self.revoked_at is not None}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class TokenStore:
    def __init__(self, accounts: AccountStore) -> None:
        self._accounts = accounts

    def create(self, user_id: int, name: str) -> tuple[ApiToken, str]:
        """A new token for ``user_id``: its record and the plain token (shown once, never stored)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = _now()
        cursor = self._accounts.execute(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)",
            (user_id, name.strip() or "未命名", _digest(token), now),
        )
        return ApiToken(int(cursor.lastrowid or 0), user_id, name, now, None), token

    def user_for(self, token: str) -> User | None:
        if not token.startswith(TOKEN_PREFIX):
            return None
        row = self._accounts.execute(
            "SELECT user_id FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL", (_digest(token),)
        ).fetchone()
        user = self._accounts.get(int(row[0])) if row else None
        return user if user is not None and not user.disabled else None

    def list_for(self, user_id: int) -> list[ApiToken]:
        rows = self._accounts.execute(
            "SELECT id, user_id, name, created_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id", (user_id,)
        ).fetchall()
        return [ApiToken(*row) for row in rows]

    def live_counts(self) -> dict[int, int]:
        """How many live (unrevoked) tokens each user id has; users without one are left out."""
        rows = self._accounts.execute("SELECT user_id, count(*) FROM api_tokens WHERE revoked_at IS NULL GROUP BY user_id").fetchall()
        return {int(user_id): int(count) for user_id, count in rows}

    def revoke(self, token_id: int, user_id: int | None = None) -> bool:
        """Revoke a token (only ``user_id``'s when given); False when there is no such live token."""
        sql = "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
        params: tuple[object, ...] = (_now(), token_id)
        if user_id is not None:
            sql += " AND user_id = ?"
            params += (user_id,)
        return self._accounts.execute(sql, params).rowcount > 0

    def revoke_all(self, user_id: int) -> int:
        """Revoke every live token of ``user_id``; returns how many were revoked."""
        cursor = self._accounts.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", (_now(), user_id))
        return cursor.rowcount
