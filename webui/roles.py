"""Who is asking: a PLACEHOLDER role boundary until the accounts issue (argon2 passwords, sessions, CSRF).

For now a demo ``/login`` page lets a visitor *pick* a role — 工作人员 (staff) or 企业用户 (an enterprise, by id) —
and stores it in an HMAC-signed cookie. Nothing here checks a password: it separates what each role sees and lets
the browser tests prove that an enterprise user cannot open the staff console. The accounts work replaces this one
module: keep :func:`current_identity`, :func:`require_staff` and :func:`require_enterprise` and their meaning.

The signing key is a random secret kept in ``<data_dir>/session_secret`` (made on first use, mode 0600), so
sessions survive a restart and no setting is needed for the demo.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

COOKIE_NAME = "policykb_role"
_COOKIE_MAX_AGE = 8 * 3600


class Role(str, Enum):
    VISITOR = "visitor"
    STAFF = "staff"
    ENTERPRISE = "enterprise"

    @property
    def label(self) -> str:
        return {"visitor": "访客", "staff": "工作人员", "enterprise": "企业用户"}[self.value]


@dataclass(frozen=True)
class Identity:
    role: Role = Role.VISITOR
    enterprise_id: int | None = None  # an enterprise user without a profile yet has none

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF

    @property
    def is_enterprise(self) -> bool:
        return self.role is Role.ENTERPRISE


class AccessDenied(Exception):
    """A page or API the current role may not use: 403 with a Chinese message (HTML for pages, JSON for /api)."""

    status_code = 403

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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

    def dumps(self, identity: Identity) -> str:
        payload = base64.urlsafe_b64encode(json.dumps({"r": identity.role.value, "e": identity.enterprise_id}).encode())
        return f"{payload.decode()}.{self._mac(payload)}"

    def loads(self, value: str) -> Identity:
        payload, _, mac = value.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(payload.encode())):
            return Identity()
        try:
            data = json.loads(base64.urlsafe_b64decode(payload.encode()))
            enterprise_id = data.get("e")
            return Identity(Role(data["r"]), int(enterprise_id) if enterprise_id is not None else None)
        except (ValueError, KeyError, TypeError):
            return Identity()


_signer_lock = threading.Lock()


def _signer(request: Request) -> CookieSigner:
    state = request.app.state
    with _signer_lock:
        if getattr(state, "cookie_signer", None) is None:
            state.cookie_signer = CookieSigner.for_data_dir(state.kb.settings.data_dir)
    return state.cookie_signer


def current_identity(request: Request) -> Identity:
    value = request.cookies.get(COOKIE_NAME)
    return _signer(request).loads(value) if value else Identity()


def require_staff(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.is_staff:
        raise AccessDenied("此页面仅供工作人员使用。如您是工作人员，请先以工作人员身份登录。")
    return identity


def require_enterprise(identity: Annotated[Identity, Depends(current_identity)]) -> Identity:
    if not identity.is_enterprise:
        raise AccessDenied("企业服务仅供企业用户使用，请先以企业用户身份登录。")
    return identity


def remember(request: Request, response: Response, identity: Identity) -> None:
    """Put ``identity`` in the session cookie of ``response``."""
    response.set_cookie(
        COOKIE_NAME, _signer(request).dumps(identity), max_age=_COOKIE_MAX_AGE, httponly=True, samesite="lax", path="/"
    )


# ---------------------------------------------------------------------------------------------- demo login page

router = APIRouter(include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, identity: Annotated[Identity, Depends(current_identity)]) -> HTMLResponse:
    from webui.pages import render

    enterprises = request.app.state.kb.push.list_enterprises(limit=200)
    return render(request, "login.html", {"enterprises": enterprises, "current": identity})


@router.post("/login")
async def login(
    request: Request,
    role: Annotated[str, Form()],
    enterprise_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        chosen = Role(role)
    except ValueError:
        return RedirectResponse("/login", status_code=303)
    identity = Identity(chosen, int(enterprise_id) if chosen is Role.ENTERPRISE and enterprise_id.isdigit() else None)
    target = {Role.STAFF: "/staff", Role.ENTERPRISE: "/portal", Role.VISITOR: "/"}[chosen]
    if identity.is_enterprise and identity.enterprise_id is None:
        target = "/portal/profile"
    response = RedirectResponse(target, status_code=303)
    remember(request, response, identity)
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
            return JSONResponse({"detail": error.message}, status_code=403)
        from webui.pages import render

        return render(request, "denied.html", {"message": error.message}, status_code=403)
