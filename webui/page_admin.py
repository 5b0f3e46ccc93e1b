"""Admin pages (管理员): user administration (``/admin/users``) and the effective settings (``/admin/settings``).

Every route depends on :func:`webui.roles.require_admin` (others get the Chinese 403 page, visitors the 401 page
with a login link); every form post also on :func:`webui.admin_access.require_admin_action` (same-site proof).
Forms post here and redirect back with a ``done`` code (post/redirect/get), so a reload never repeats an action;
a refused action shows the page again with a Chinese message, the create form keeping what was typed (except the
password). :class:`webui.audit.AuditMiddleware` writes every action to the audit log, with :func:`webui.audit.note`
naming the user it concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accounts.administration import ASSIGNABLE_ROLES, UserAdminError, UserAdministration
from accounts.passwords import MIN_PASSWORD_CHARS, PASSWORD_RULES
from push_rules.errors import NotFound as EnterpriseNotFound
from webui.admin_access import Admin, AdminAction
from webui.api_users import Administration
from webui.audit import note
from webui.rendering import render
from webui.roles import require_admin
from webui.settings_view import settings_rows

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_admin)])

FormText = Annotated[str, Form()]
DONE = {
    "created": "已创建用户“{user}”。",
    "disabled": "已停用用户“{user}”，其登录会话与 API 令牌立即失效。",
    "enabled": "已重新启用用户“{user}”。",
    "password": "已重置用户“{user}”的密码，旧密码立即失效。",
    "role": "已修改用户“{user}”的角色。",
    "revoked": "已吊销用户“{user}”的全部 API 令牌。",
}
ROLE_CHOICES = [(role.value, role.label) for role in ASSIGNABLE_ROLES]


def _enterprise_id(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 2_147_483_647:
        raise UserAdminError("企业 ID 应为正整数", "enterprise_id")
    return int(text)


def _enterprise_names(request: Request, enterprise_ids: set[int]) -> dict[int, str]:
    push = request.app.state.kb.push
    names = {}
    for enterprise_id in enterprise_ids:
        try:
            names[enterprise_id] = str(push.get_enterprise(enterprise_id).get("name") or "")
        except EnterpriseNotFound:
            names[enterprise_id] = "（企业信息已删除）"
    return names


async def _users_page(
    request: Request,
    administration: UserAdministration,
    *,
    status_code: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    form_errors: dict[str, str] | None = None,
) -> HTMLResponse:
    summaries = await run_in_threadpool(administration.list)
    linked = {s.user.enterprise_id for s in summaries if s.user.enterprise_id is not None}
    notice = None
    done, username = request.query_params.get("done", ""), request.query_params.get("user", "")
    if done in DONE and any(s.user.username == username for s in summaries):  # never echo a name that is not a user
        notice = DONE[done].format(user=username)
    context: dict[str, Any] = {
        "users": summaries,
        "enterprise_names": await run_in_threadpool(_enterprise_names, request, linked),
        "roles": ROLE_CHOICES,
        "min_password_chars": MIN_PASSWORD_CHARS,
        "password_rules": PASSWORD_RULES,
        "notice": notice,
        "error": error,
        "form": form or {"username": "", "role": "staff", "enterprise_id": ""},
        "form_errors": form_errors or {},
    }
    return render(request, "admin/users.html", context, status_code=status_code)


def _done(code: str, username: str) -> RedirectResponse:
    return RedirectResponse(f"/admin/users?done={code}&user={quote(username, safe='')}", status_code=303)


@router.get("/admin/users", response_class=HTMLResponse)
async def users_page(request: Request, _: Admin, administration: Administration) -> HTMLResponse:
    return await _users_page(request, administration)


@router.post("/admin/users", response_model=None)
async def create_user(
    request: Request, _: AdminAction, administration: Administration,
    username: FormText = "", password: FormText = "", role: FormText = "", enterprise_id: FormText = "",
) -> Response:
    form = {"username": username, "role": role, "enterprise_id": enterprise_id}
    try:
        linked = _enterprise_id(enterprise_id)
        user = await run_in_threadpool(administration.create, username, password, role, linked)
    except UserAdminError as error:
        note(request, username.strip(), f"未创建：{error.message}")
        return await _users_page(request, administration, status_code=error.status_code, error=error.message, form=form, form_errors={error.field or "_": error.message})
    note(request, user.username, f"角色 {user.role.label}" + (f"，企业 {user.enterprise_id}" if user.enterprise_id is not None else ""))
    return _done("created", user.username)


async def _row_action(request: Request, administration: UserAdministration, username: str, action: Callable[[], str | None], code: str) -> Response:
    """Run one change to ``username``'s account; success redirects back, a refusal shows the page with why."""
    try:
        detail = await run_in_threadpool(action)
    except UserAdminError as error:
        note(request, username, f"未执行：{error.message}")
        return await _users_page(request, administration, status_code=error.status_code, error=error.message)
    note(request, username, detail)
    return _done(code, username)


@router.post("/admin/users/{username}/disable", response_model=None)
async def disable_user(request: Request, username: str, admin: AdminAction, administration: Administration) -> Response:
    def disable() -> None:
        administration.set_disabled(admin.username or "", username, True)

    return await _row_action(request, administration, username, disable, "disabled")


@router.post("/admin/users/{username}/enable", response_model=None)
async def enable_user(request: Request, username: str, admin: AdminAction, administration: Administration) -> Response:
    def enable() -> None:
        administration.set_disabled(admin.username or "", username, False)

    return await _row_action(request, administration, username, enable, "enabled")


@router.post("/admin/users/{username}/password", response_model=None)
async def reset_password(request: Request, username: str, _: AdminAction, administration: Administration, password: FormText = "") -> Response:
    def reset() -> None:
        administration.set_password(username, password)

    return await _row_action(request, administration, username, reset, "password")


@router.post("/admin/users/{username}/role", response_model=None)
async def change_role(request: Request, username: str, admin: AdminAction, administration: Administration, role: FormText = "", enterprise_id: FormText = "") -> Response:
    def change() -> str:
        before = administration.summary(username).user.role.label
        after = administration.set_role(admin.username or "", username, role, _enterprise_id(enterprise_id))
        return f"{before} → {after.role.label}"

    return await _row_action(request, administration, username, change, "role")


@router.post("/admin/users/{username}/revoke-tokens", response_model=None)
async def revoke_tokens(request: Request, username: str, _: AdminAction, administration: Administration) -> Response:
    return await _row_action(request, administration, username, lambda: f"吊销 {administration.revoke_tokens(username)} 个令牌", "revoked")


@router.get("/admin/settings", response_class=HTMLResponse)
async def settings_page(request: Request, _: Admin) -> HTMLResponse:
    return render(request, "admin/settings.html", {"rows": settings_rows(request.app.state.kb.settings)})

