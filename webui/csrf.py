"""CSRF protection for cookie sessions: a state-changing request must come from this site's own pages.

Browsers send ``Origin`` (and ``Sec-Fetch-Site``) with every POST, PUT, PATCH and DELETE, and a page cannot forge
them; a request that carries the session cookie but names another origin is refused with 403 before any handler
runs (OWASP "verifying origin with standard headers"). The session cookie is also ``SameSite=Lax``, so most
browsers do not even send it cross-site. Requests authenticated by an API token (``Authorization: Bearer``)
carry no ambient credentials and are not checked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from webui.roles import COOKIE_NAME

CROSS_SITE_REFUSED = "已拒绝来自其他网站的请求（跨站请求伪造防护）。请在本站页面上重新操作。"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def is_cross_site(headers: Headers) -> bool:
    """True when the browser says the request came from a page of another origin."""
    if headers.get("sec-fetch-site", "") == "cross-site":
        return True
    source = headers.get("origin") or headers.get("referer")
    if not source or source == "null":
        return source == "null"
    return urlsplit(source).netloc.lower() != headers.get("host", "").lower()


class CsrfMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in _SAFE_METHODS:
            headers = Headers(scope=scope)
            has_session = f"{COOKIE_NAME}=" in headers.get("cookie", "")
            uses_token = headers.get("authorization", "").lower().startswith("bearer ")
            if has_session and not uses_token and is_cross_site(headers):
                response: Response
                if scope["path"].startswith("/api/"):
                    response = JSONResponse({"detail": CROSS_SITE_REFUSED}, status_code=403)
                else:
                    response = PlainTextResponse(CROSS_SITE_REFUSED, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
