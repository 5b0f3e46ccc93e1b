"""Sign in and out: ``GET``/``POST /login`` (the form, rate-limited per client) and ``POST /logout``.

A successful sign-in sets the session cookie (:func:`webui.roles.set_session_cookie`) and goes to the page the
role starts on; a wrong name or password gets the same answer, so names cannot be probed. Every sign-in, failed
or not, is written to the audit log with the name tried and the client address.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accounts.users import Role
from webui.rate_limit import client_key
from webui.rendering import render
from webui.roles import COOKIE_NAME, Identity, current_identity, set_session_cookie

router = APIRouter(include_in_schema=False)

WRONG_LOGIN = "用户名或密码错误。"
_AUDITED_NAME_CHARS = 64


async def _audit_login(request: Request, username: str, role: str, action: str, status: int) -> None:
    name = username[:_AUDITED_NAME_CHARS]
    detail = f"客户端 {client_key(request)}"
    await run_in_threadpool(request.app.state.audit.record, name, role, action, name, detail, status)


def _login_target(identity: Identity) -> str:
    if identity.is_staff:
        return "/staff"
    if identity.is_enterprise:
        return "/portal" if identity.enterprise_id is not None else "/portal/profile"
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, identity: Annotated[Identity, Depends(current_identity)]) -> HTMLResponse:
    return render(request, "login.html", {"current": identity, "error": None, "username": ""})


@router.post("/login", response_model=None)
async def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    def again(message: str, status_code: int) -> Response:
        context = {"current": current_identity(request), "error": message, "username": username}
        return render(request, "login.html", context, status_code=status_code)

    limiter = request.app.state.rate_limits["login"]
    if not limiter.allow(client_key(request)):
        await _audit_login(request, username, Role.VISITOR.value, "登录失败（尝试过于频繁）", 429)
        return again(limiter.message, 429)
    user = await run_in_threadpool(request.app.state.accounts.authenticate, username, password)
    if user is None:
        await _audit_login(request, username, Role.VISITOR.value, "登录失败", 401)
        return again(WRONG_LOGIN, 401)
    await _audit_login(request, user.username, user.role.value, "登录", 303)
    identity = Identity.of(user)
    response = RedirectResponse(_login_target(identity), status_code=303)
    set_session_cookie(request, response, user.id)
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response
