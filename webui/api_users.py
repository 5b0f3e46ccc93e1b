"""JSON API of user administration for integrations (admins only; API tokens welcome), mirroring ``/admin/users``.

Routes: ``GET /api/users``, ``POST /api/users``, ``POST /api/users/{username}/disable`` | ``/enable`` |
``/password`` | ``/role`` | ``/revoke-tokens``. The rules (enterprise must exist, password length, no self- or
last-admin lock-out) live in :class:`accounts.administration.UserAdministration`; every change is audited by
:class:`webui.audit.AuditMiddleware` (never with a password).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from accounts.administration import MAX_USERNAME_CHARS, UserAdminError, UserAdministration, printable
from accounts.passwords import PASSWORD_RULES
from push_rules.errors import NotFound as EnterpriseNotFound
from webui.admin_access import Admin, AdminAction
from webui.audit import note
from webui.errors import ErrorBody, error_responses

T = TypeVar("T")
MAX_ENTERPRISE_ID = 2_147_483_647
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorBody, "description": "与当前状态冲突：用户名已存在，或会停用、降级自己或最后一个有效的管理员"}
}


def get_user_administration(request: Request) -> UserAdministration:
    """The user administration of this app: its account store, and its push store for the enterprises."""
    push = request.app.state.kb.push

    def enterprise_exists(enterprise_id: int) -> bool:
        try:
            push.get_enterprise(enterprise_id)
        except EnterpriseNotFound:
            return False
        return True

    return UserAdministration(request.app.state.accounts, enterprise_exists)


Administration = Annotated[UserAdministration, Depends(get_user_administration)]


# ------------------------------------------------------------------------------------------------------ models


class UserOut(BaseModel):
    id: int
    username: str
    role: str = Field(description="admin、staff 或 enterprise")
    role_label: str = Field(description="角色的中文名称")
    enterprise_id: int | None = Field(description="企业用户关联的企业 ID")
    disabled: bool
    created_at: str = Field(description="创建时间（UTC，ISO 8601）")
    live_tokens: int = Field(description="有效（未吊销）的 API 令牌数")


class UserList(BaseModel):
    users: list[UserOut]


class NewUser(BaseModel):
    username: str = Field(description=f"用户名（最多 {MAX_USERNAME_CHARS} 个字符，不含空格、斜杠）")
    password: str = Field(description=f"初始密码（{PASSWORD_RULES}）")
    role: str = Field(description="admin（管理员）、staff（工作人员）或 enterprise（企业用户）")
    enterprise_id: int | None = Field(None, ge=1, le=MAX_ENTERPRISE_ID, description="企业用户所属企业的 ID（须已存在；可留空，由该用户登录后填写企业信息）")


class NewPassword(BaseModel):
    password: str = Field(description=f"新密码（{PASSWORD_RULES}）；旧密码、该用户的登录会话和 API 令牌立即失效")


class NewRole(BaseModel):
    role: str = Field(description="admin（管理员）、staff（工作人员）或 enterprise（企业用户）")
    enterprise_id: int | None = Field(None, ge=1, le=MAX_ENTERPRISE_ID, description="角色为企业用户时关联的企业 ID（须已存在）")


class RevokedTokens(BaseModel):
    username: str
    revoked: int = Field(description="本次吊销的令牌数")


# ------------------------------------------------------------------------------------------------------ routes

router = APIRouter(tags=["admin"], responses=error_responses(401, 403))


async def _change(request: Request, target: str, action: Callable[[], T], detail: Callable[[T], str] | None = None) -> T:
    """Run one change in a worker thread; a refusal becomes a Chinese JSON error, and both go into the audit entry."""
    try:
        result = await run_in_threadpool(action)
    except UserAdminError as error:
        note(request, target, f"未执行：{error.message}")
        raise
    note(request, target, detail(result) if detail else None)
    return result


def _out(administration: UserAdministration, username: str) -> UserOut:
    return UserOut(**administration.summary(username).as_dict())


@router.get("/api/users", summary="全部用户（仅管理员）", response_model=UserList)
async def list_users(_: Admin, administration: Administration) -> UserList:
    summaries = await run_in_threadpool(administration.list)
    return UserList(users=[UserOut(**s.as_dict()) for s in summaries])


@router.post("/api/users", status_code=201, summary="创建用户（仅管理员）", response_model=UserOut, responses={**error_responses(400, 422), **CONFLICT})
async def create_user(request: Request, _: AdminAction, administration: Administration, payload: NewUser) -> UserOut:
    def create() -> UserOut:
        user = administration.create(payload.username, payload.password, payload.role, payload.enterprise_id)
        return _out(administration, user.username)

    enterprise = f"，企业 {payload.enterprise_id}" if payload.enterprise_id is not None else ""
    return await _change(request, printable(payload.username.strip()), create, lambda user: f"角色 {user.role_label}{enterprise}")


@router.post("/api/users/{username}/disable", summary="停用用户，其会话与令牌立即失效（仅管理员）", response_model=UserOut, responses={**error_responses(404, 422), **CONFLICT})
async def disable_user(request: Request, username: str, admin: AdminAction, administration: Administration) -> UserOut:
    def disable() -> UserOut:
        administration.set_disabled(admin.username or "", username, True)
        return _out(administration, username)

    return await _change(request, username, disable)


@router.post("/api/users/{username}/enable", summary="重新启用用户（仅管理员）", response_model=UserOut, responses=error_responses(404, 422))
async def enable_user(request: Request, username: str, admin: AdminAction, administration: Administration) -> UserOut:
    def enable() -> UserOut:
        administration.set_disabled(admin.username or "", username, False)
        return _out(administration, username)

    return await _change(request, username, enable)


@router.post("/api/users/{username}/password", summary="重置用户密码，旧密码立即失效（仅管理员）", response_model=UserOut, responses=error_responses(400, 404, 422))
async def reset_password(request: Request, username: str, _: AdminAction, administration: Administration, payload: NewPassword) -> UserOut:
    def reset() -> UserOut:
        administration.set_password(username, payload.password)
        return _out(administration, username)

    return await _change(request, username, reset)


@router.post("/api/users/{username}/role", summary="修改用户角色（仅管理员；不能降低自己或最后一个管理员）", response_model=UserOut, responses={**error_responses(400, 404, 422), **CONFLICT})
async def change_role(request: Request, username: str, admin: AdminAction, administration: Administration, payload: NewRole) -> UserOut:
    before: list[str] = []

    def change() -> UserOut:
        before.append(administration.summary(username).user.role.label)
        administration.set_role(admin.username or "", username, payload.role, payload.enterprise_id)
        return _out(administration, username)

    return await _change(request, username, change, lambda user: f"{before[0]} → {user.role_label}")


@router.post("/api/users/{username}/revoke-tokens", summary="吊销用户的全部 API 令牌（仅管理员）", response_model=RevokedTokens, responses=error_responses(404, 422))
async def revoke_tokens(request: Request, username: str, _: AdminAction, administration: Administration) -> RevokedTokens:
    def revoke() -> RevokedTokens:
        return RevokedTokens(username=username, revoked=administration.revoke_tokens(username))

    return await _change(request, username, revoke, lambda result: f"吊销 {result.revoked} 个令牌")
