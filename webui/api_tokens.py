"""Routes of API tokens (:mod:`accounts.tokens`): ``POST /api/tokens`` (create one for yourself), ``GET /api/tokens``
(yours), ``DELETE /api/tokens/{id}`` (revoke one of yours; an admin may revoke anyone's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request

from accounts.users import Role
from webui.dependencies import MAX_SQL_INTEGER
from webui.errors import NotFound, error_responses
from webui.roles import Identity, require_signed_in

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
