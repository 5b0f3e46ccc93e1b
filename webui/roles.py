"""Who is asking: the signed-in account (session cookie or API token) and the role checks pages and APIs depend on.

Roles: 访客 (anonymous: Q&A and policy library), 企业用户 (its own enterprise only), 工作人员 (upload, metadata,
rules, publish) and 管理员 (everything staff may do, plus the audit log). Accounts live in
:mod:`accounts.users`; ``policykb users create --role admin`` makes the first one.

A session is a record on the server (:class:`accounts.sessions.SessionStore`) named by a signed cookie value; the
cookie is HttpOnly, SameSite=Lax, Secure over HTTPS (setting ``session_cookie_secure``), and the session ends after
``session_lifetime_hours``, on signing out, and when the account's password or role changes or it is disabled.
Every request re-reads the session and the account, so a copied cookie stops working with the session.

``Authorization: Bearer pkb_…`` (an API token, :mod:`accounts.tokens`) acts as the token's user.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from accounts.users import Role, User
from policy.errors import PolicyKBError

COOKIE_NAME = "policykb_session"

__all__ = [
    "COOKIE_NAME", "AccessDenied", "Identity", "NotSignedIn", "current_identity", "end_session", "remember", "require_admin",
    "require_enterprise", "require_signed_in", "require_staff", "set_session_cookie",
]


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


class AccessDenied(PolicyKBError):
    """A page or API the current role may not use: 403 with a Chinese message (HTML for pages, JSON for /api)."""

    status_code = 403


class NotSignedIn(AccessDenied):
    status_code = 401


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
    user = state.sessions.user_for(value)
    return Identity.of(user) if user is not None else Identity()


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


def set_session_cookie(request: Request, response: Response, user_id: int) -> None:
    """Open a session for ``user_id`` (signing in) and give the browser its cookie."""
    response.set_cookie(
        COOKIE_NAME,
        request.app.state.sessions.start(user_id),
        max_age=request.app.state.kb.settings.session_lifetime_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=_cookie_secure(request),
        path="/",
    )


def end_session(request: Request, response: Response) -> None:
    """Sign out: end the session the request's cookie names (a copy of the cookie is then worthless) and drop it."""
    value = request.cookies.get(COOKIE_NAME)
    if value:
        request.app.state.sessions.end(value)
    response.delete_cookie(COOKIE_NAME, path="/")


def remember(request: Request, identity: Identity, replacing: int | None = None) -> None:
    """Link an enterprise user who just created its profile to it (the session itself stays as it is).

    The portal passes ``Identity(role, new_enterprise_id)``: the account is taken from the request, never from
    ``identity``, so a caller cannot sign in as someone else through this function. ``replacing``: the enterprise
    the user is linked to that no longer exists (its profile could not be found), replaced by the new one.
    """
    current = current_identity(request)
    if current.user_id is None:
        return
    if current.is_enterprise and identity.enterprise_id is not None and current.enterprise_id in (None, replacing):
        request.app.state.accounts.link_enterprise(current.user_id, identity.enterprise_id, replacing)
