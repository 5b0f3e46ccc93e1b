"""Who is asking: the signed-in account (session cookie or API token) and the role checks pages and APIs depend on.

Roles: 访客 (anonymous: Q&A and policy library), 企业用户 (its own enterprise only), 工作人员 (upload, metadata,
rules, publish) and 管理员 (everything staff may do, plus the audit log). Accounts live in
:mod:`webui.accounts`; ``policykb users create --role admin`` makes the first one.

A session is an HMAC-signed cookie holding the user id and the time it was issued; it is HttpOnly, SameSite=Lax,
Secure over HTTPS (setting ``session_cookie_secure``) and expires after ``session_lifetime_hours``. Every request
re-reads the account, so a disabled user is out at once. The signing key is a random secret kept in
``<data_dir>/session_secret`` (mode 0600), so sessions survive a restart.

``Authorization: Bearer pkb_…`` (an API token, :mod:`webui.api_tokens`) acts as the token's user.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from webui.accounts import AccountStore, Role, User

COOKIE_NAME = "policykb_session"

__all__ = ["AccessDenied", "Identity", "Role", "current_identity", "require_admin", "require_enterprise", "require_signed_in", "require_staff", "remember"]


class CookieSecureMode(str, Enum):
    AUTO = "auto"  # Secure when the request came over HTTPS
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True)
class Identity:
    role: Role = Role.VISITOR
    enterprise_id: int | None = None  # an enterprise user without a profile yet has none
    user_id: int | None = None
    username: str | None = None

    @classmethod
    def of(cls, user: User) -> Identity:
        return cls(user.role, user.enterprise_id, user.id, user.username)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_enterprise(self) -> bool:
        return self.role is Role.ENTERPRISE

    @property
    def signed_in(self) -> bool:
        return self.user_id is not None


class AccessDenied(Exception):
    """A page or API the current role may not use: 403 with a Chinese message (HTML for pages, JSON for /api)."""

    status_code = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotSignedIn(AccessDenied):
    status_code = 401


class CookieSigner:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> CookieSigner:
        path = data_dir / "session_secret"
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        return cls(path.read_text().strip().encode())

    def _mac(self, payload: bytes) -> str:
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest()

    def dumps(self, user_id: int, issued_at: float | None = None) -> str:
        payload = base64.urlsafe_b64encode(json.dumps({"u": user_id, "t": int(issued_at or time.time())}).encode())
        return f"{payload.decode()}.{self._mac(payload)}"

    def loads(self, value: str, max_age_seconds: float) -> int | None:
        """The user id in a valid, unexpired cookie value, else None."""
        payload, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(payload.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            if time.time() - float(data["t"]) > max_age_seconds:
                return None
            return int(data["u"])
        except (ValueError, KeyError, TypeError):
            return None


def install_accounts(app: FastAPI, data_dir: Path) -> None:
    """Open the account store, the token store and the cookie signer once, where the app is assembled."""
    from webui.api_tokens import TokenStore

    app.state.accounts = AccountStore.for_data_dir(data_dir)
    app.state.tokens = TokenStore(app.state.accounts)
    app.state.cookie_signer = CookieSigner.for_data_dir(data_dir)


def _lookup_identity(request: Request) -> Identity:
    state = request.app.state
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        user = state.tokens.user_for(authorization[7:].strip())
        if user is None:
            request.state.identity = Identity()  # the error page itself is then rendered for a visitor
            raise NotSignedIn("API 令牌无效或已被吊销。")
        return Identity.of(user)
    value = request.cookies.get(COOKIE_NAME)
    if not value:
        return Identity()
    max_age = state.kb.settings.session_lifetime_hours * 3600
    user_id = state.cookie_signer.loads(value, max_age)
    user = state.accounts.get(user_id) if user_id is not None else None
    return Identity.of(user) if user is not None and not user.disabled else Identity()


def current_identity(request: Request) -> Identity:
    identity = getattr(request.state, "identity", None)
    if identity is None:
        identity = _lookup_identity(request)
        request.state.identity = identity
    return identity


def require_signed_in(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.signed_in:
        raise NotSignedIn("请先登录。")
    return identity


def require_staff(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.is_staff:
        if not identity.signed_in:
            raise NotSignedIn("此功能仅供工作人员使用，请先以工作人员账号登录。")
        raise AccessDenied("此页面仅供工作人员使用。如您是工作人员，请以工作人员账号登录。")
    return identity


def require_admin(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.is_admin:
        if not identity.signed_in:
            raise NotSignedIn("此功能仅供管理员使用，请先以管理员账号登录。")
        raise AccessDenied("此页面仅供管理员使用。")
    return identity


def require_enterprise(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.is_enterprise:
        if not identity.signed_in:
            raise NotSignedIn("企业服务仅供企业用户使用，请先以企业账号登录。")
        raise AccessDenied("企业服务仅供企业用户使用，请以企业账号登录。")
    return identity


def _cookie_secure(request: Request) -> bool:
    mode = CookieSecureMode(request.app.state.kb.settings.session_cookie_secure)
    return mode is CookieSecureMode.ALWAYS or (mode is CookieSecureMode.AUTO and request.url.scheme == "https")


def _set_session_cookie(request: Request, response: Response, user_id: int) -> None:
    response.set_cookie(
        COOKIE_NAME,
        request.app.state.cookie_signer.dumps(user_id),
        max_age=request.app.state.kb.settings.session_lifetime_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_cookie_secure(request),
        path="/",
    )


def remember(request: Request, response: Response, identity: Identity) -> None:
    """Keep the signed-in user signed in; an enterprise user who just created its profile is linked to it.

    The portal passes ``Identity(role, new_enterprise_id)``: the account is taken from the request, never from
    ``identity``, so a caller cannot sign in as someone else through this function.
    """
    current = current_identity(request)
    if current.user_id is None:
        return
    if current.is_enterprise and current.enterprise_id is None and identity.enterprise_id is not None:
        request.app.state.accounts.link_enterprise(current.user_id, identity.enterprise_id)
    _set_session_cookie(request, response, current.user_id)


# ------------------------------------------------------------------------------------------------- login page

router = APIRouter(include_in_schema=False)

WRONG_LOGIN = "用户名或密码错误。"


def _login_target(identity: Identity) -> str:
    if identity.is_staff:
        return "/staff"
    if identity.is_enterprise:
        return "/portal" if identity.enterprise_id is not None else "/portal/profile"
    return "/"


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, identity: Annotated[Identity, Depends(current_identity)]) -> HTMLResponse:
    from webui.pages import render

    return render(request, "login.html", {"current": identity, "error": None, "username": ""})


@router.post("/login", response_model=None)
async def login(request: Request, username: Annotated[str, Form()] = "", password: Annotated[str, Form()] = "") -> Response:
    from fastapi.concurrency import run_in_threadpool

    from webui.pages import render
    from webui.rate_limit import client_key

    def again(message: str, status_code: int) -> Response:
        context = {"current": current_identity(request), "error": message, "username": username}
        return render(request, "login.html", context, status_code=status_code)

    limiter = request.app.state.rate_limits["login"]
    if not limiter.allow(client_key(request)):
        return again(limiter.message, 429)
    user = await run_in_threadpool(request.app.state.accounts.authenticate, username, password)
    if user is None:
        return again(WRONG_LOGIN, 401)
    identity = Identity.of(user)
    response = RedirectResponse(_login_target(identity), status_code=303)
    _set_session_cookie(request, response, user.id)
    return response


@router.post("/logout")
async def logout() -> Response:
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


def install_access_handler(app: FastAPI) -> None:
    @app.exception_handler(AccessDenied)
    async def access_denied(request: Request, error: AccessDenied) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": error.message}, status_code=error.status_code)
        from webui.pages import render

        return render(request, "denied.html", {"message": error.message}, status_code=error.status_code)
