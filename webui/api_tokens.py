"""API tokens for integrations: ``Authorization: Bearer pkb_…`` acts as the token's user.

A token is 32 random bytes shown once at creation; only its SHA-256 is stored (a random token needs no slow
hash), in the ``api_tokens`` table of ``accounts.sqlite3``. Revoked tokens stop working at once.

Routes: ``POST /api/tokens`` (create one for yourself), ``GET /api/tokens`` (yours), ``DELETE /api/tokens/{id}``
(revoke one of yours; an admin may revoke anyone's).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request

from webui.accounts import AccountStore, Role, User
from webui.dependencies import MAX_SQL_INTEGER
from webui.errors import NotFound, error_responses
from webui.roles import Identity, require_signed_in

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


class TokenStore:
    def __init__(self, accounts: AccountStore) -> None:
        self._accounts = accounts

    def create(self, user_id: int, name: str) -> tuple[ApiToken, str]:
        """A new token for ``user_id``: its record and the plain token (shown once, never stored)."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
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

    def revoke(self, token_id: int, user_id: int | None = None) -> bool:
        """Revoke a token (only ``user_id``'s when given); False when there is no such live token."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        sql = "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
        params: tuple[object, ...] = (now, token_id)
        if user_id is not None:
            sql += " AND user_id = ?"
            params += (user_id,)
        return self._accounts.execute(sql, params).rowcount > 0


# ------------------------------------------------------------------------------------------------------ routes

router = APIRouter(tags=["tokens"], responses=error_responses(401))


SignedIn = Annotated[Identity, Depends(require_signed_in)]


@router.post("/api/tokens", status_code=201, summary="为当前账号创建 API 令牌（只显示一次）", responses=error_responses(400, 403, 422))
async def create_token(request: Request, identity: SignedIn, payload: Annotated[dict[str, Any], Body(default_factory=dict)]) -> dict[str, Any]:
    record, token = request.app.state.tokens.create(identity.user_id, str(payload.get("name", "")))
    return {**record.as_dict(), "token": token}


@router.get("/api/tokens", summary="当前账号的 API 令牌")
async def list_tokens(request: Request, identity: SignedIn) -> dict[str, Any]:
    return {"tokens": [t.as_dict() for t in request.app.state.tokens.list_for(identity.user_id)]}


@router.delete("/api/tokens/{token_id}", summary="吊销 API 令牌", responses=error_responses(403, 404, 422))
async def revoke_token(request: Request, token_id: Annotated[int, Path(ge=1, le=MAX_SQL_INTEGER)], identity: SignedIn) -> dict[str, Any]:
    owner = None if identity.role is Role.ADMIN else identity.user_id
    if not request.app.state.tokens.revoke(token_id, owner):
        raise NotFound(f"没有编号为 {token_id} 的有效令牌")
    return {"revoked": token_id}
