"""What the web app writes to the audit log (:class:`accounts.audit.AuditLog`), and where admins read it.

:class:`AuditMiddleware` writes an entry for every state-changing request a staff member or admin makes
(whatever page or API made it), so no handler has to remember to. Admins read the log at ``/admin/audit`` (page)
or ``GET /api/audit`` (JSON).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.dependencies import Offset
from webui.errors import error_responses
from webui.rendering import render
from webui.roles import AccessDenied, Identity, current_identity, require_admin

# (method, path pattern, action); the named group ``target`` is what was acted on.
_ID = r"(?P<target>[^/]+)"
ACTIONS: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(f"^{pattern}$"), action)
    for method, pattern, action in (
        ("POST", "/api/documents", "上传文档"),
        ("DELETE", f"/api/documents/{_ID}", "删除文档"),
        ("POST", f"/staff/documents/{_ID}/metadata", "修改元数据"),
        ("POST", f"/staff/documents/{_ID}/retire", "标记为已失效"),
        ("POST", f"/staff/documents/{_ID}/rules", "保存申报条件规则"),
        ("PUT", f"/api/policies/{_ID}/rules", "保存申报条件规则"),
        ("POST", f"/staff/documents/{_ID}/publish", "发布并推送"),
        ("POST", f"/api/policies/{_ID}/publish", "发布并推送"),
        ("POST", "/api/enterprises", "创建企业"),
        ("PUT", f"/api/enterprises/{_ID}", "修改企业信息"),
        ("PATCH", f"/api/enterprises/{_ID}", "修改企业信息"),
        ("DELETE", f"/api/enterprises/{_ID}", "删除企业"),
        ("POST", "/api/tokens", "创建 API 令牌"),
        ("DELETE", f"/api/tokens/{_ID}", "吊销 API 令牌"),
        *(
            (method, pattern, action)
            for prefix in ("/admin/users", "/api/users")
            for method, pattern, action in (
                ("POST", prefix, "创建用户"),
                ("POST", f"{prefix}/{_ID}/disable", "停用用户"),
                ("POST", f"{prefix}/{_ID}/enable", "启用用户"),
                ("POST", f"{prefix}/{_ID}/password", "重置密码"),
                ("POST", f"{prefix}/{_ID}/role", "修改角色"),
                ("POST", f"{prefix}/{_ID}/revoke-tokens", "吊销用户全部 API 令牌"),
            )
        ),
    )
)
_READ_ONLY = {"GET", "HEAD", "OPTIONS"}
_NOT_AUDITED = {"/login", "/logout"}


def describe(method: str, path: str) -> tuple[str, str]:
    """(action, target) of a state-changing request; unknown ones are logged as ``其他操作`` with their path."""
    for known_method, pattern, action in ACTIONS:
        if method == known_method and (match := pattern.match(path)):
            return action, match.groupdict().get("target") or ""
    return "其他操作", f"{method} {path}"


def note(request: Request, target: str | None = None, detail: str | None = None) -> None:
    """Give the audit entry of this request a target and detail the path does not show (e.g. the user just created).

    :class:`AuditMiddleware` still writes the entry, with the request's outcome; never pass a password here.
    """
    if target is not None:
        request.state.audit_target = target
    if detail is not None:
        request.state.audit_detail = detail


def _upload_detail(body: bytes) -> str:
    try:
        results = json.loads(body)["results"]
        return "；".join(f"{r.get('title') or r.get('path') or ''}（{r.get('status')}，{r.get('doc_id') or '-'}）" for r in results)
    except (ValueError, KeyError, TypeError):
        return ""


class AuditMiddleware:
    """Record each state-changing request of a staff member or admin, with its outcome status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _READ_ONLY or scope["path"] in _NOT_AUDITED:
            await self.app(scope, receive, send)
            return
        try:
            identity = current_identity(Request(scope))
        except AccessDenied:
            identity = Identity()
        if not identity.is_staff:
            await self.app(scope, receive, send)
            return
        action, target = describe(scope["method"], scope["path"])
        status = 500
        body = bytearray()
        keep_body = action == "上传文档"

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and keep_body and len(body) < 1_000_000:
                body.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            detail = _upload_detail(bytes(body)) if keep_body else ""
            noted = scope.get("state") or {}  # what the handler gave :func:`note`
            target, detail = noted.get("audit_target", target), noted.get("audit_detail", detail)
            scope["app"].state.audit.record(identity.username or "", identity.role.value, action, target, detail, status)


# ------------------------------------------------------------------------------------------------------ routes

router = APIRouter()
Admin = Annotated[Identity, Depends(require_admin)]


@router.get("/api/audit", tags=["admin"], summary="审计日志（仅管理员，最新在前）", responses=error_responses(401, 403, 422))
async def audit_json(request: Request, _: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 200, offset: Offset = 0) -> dict[str, Any]:
    return {"entries": [asdict(e) for e in request.app.state.audit.entries(limit, offset)]}


@router.get("/admin/audit", response_class=HTMLResponse, include_in_schema=False)
async def audit_page(request: Request, _: Admin) -> HTMLResponse:
    return render(request, "admin/audit.html", {"entries": request.app.state.audit.entries(500, 0)})
