"""Sign in and out: ``GET``/``POST /login`` (the form) and ``POST /logout``.

A successful sign-in opens a session and sets its cookie (:func:`webui.roles.set_session_cookie`) and goes to the
page the role starts on; a wrong name or password gets the same answer, so names cannot be probed. Attempts are
rate-limited per client address and, so that changing addresses does not help, failed ones per user name too
(``rate_limit_login_per_minute``, ``rate_limit_login_per_account_per_minute``). Every sign-in, failed or not, is
written to the audit log with the name tried and the client address. Signing out ends the session on the server.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accounts.users import Role
from webui.rate_limit import client_key
from webui.rendering import render
from webui.roles import Identity, current_identity, end_session, set_session_cookie

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

    limiter, per_account = request.app.state.rate_limits["login"], request.app.state.rate_limits["login_account"]
    account = username.strip().casefold()[:_AUDITED_NAME_CHARS]
    # Every attempt takes a token of its name's bucket before the password is checked (so parallel guesses count
    # too); a successful one gives it back, so only failures use the account's budget up.
    if not limiter.allow(client_key(request)) or not per_account.allow(account):
        await _audit_login(request, username, Role.VISITOR.value, "登录失败（尝试过于频繁）", 429)
        return again(limiter.message, 429)
    user = await run_in_threadpool(request.app.state.accounts.authenticate, username, password)
    if user is None:
        await _audit_login(request, username, Role.VISITOR.value, "登录失败", 401)
        return again(WRONG_LOGIN, 401)
    per_account.refund(account)
    await _audit_login(request, user.username, user.role.value, "登录", 303)
    identity = Identity.of(user)
    response = RedirectResponse(_login_target(identity), status_code=303)
    set_session_cookie(request, response, user.id)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    end_session(request, response)
    return response
