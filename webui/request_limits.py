"""Request body limits per route, enforced while the body streams in, before anything parses it (issue 23).

Uploads (``POST /api/documents``, where the staff console's form posts too) may carry ``max_upload_mb`` plus room
for the multipart framing; every other request (JSON APIs, forms) ``max_request_body_kb``. A declared
``Content-Length`` over the limit is refused before a byte of the body is read; a body without one (chunked) is
counted message by message as the app reads it, and refused as soon as it passes the limit: the app never sees
more than the limit, and what it answered to the cut body is replaced by the 413.

An upload is also authorised here, before its body is read: FastAPI parses a multipart body (spooling its files
to disk) before it runs the route's dependencies, so the route's own staff check alone would come too late.

Refusals use the API's error shape: 413 ``{"detail": "请求体过大…"}``, 401/403 worded as
:func:`webui.roles.require_staff` words them.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.roles import AccessDenied, current_identity, require_staff

UPLOAD_ROUTES = frozenset({("POST", "/api/documents")})
# Multipart boundaries, part headers and the file name around the file's own bytes.
MULTIPART_ALLOWANCE_BYTES = 64 * 1024


class BodyTooLarge(Exception):
    """Raised by the counting ``receive`` once a body passes its limit (the app's answer is then replaced)."""


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MB" if count >= 1024 * 1024 and count % (1024 * 1024) == 0 else f"{max(1, count // 1024)} KB"


@dataclass(frozen=True)
class BodyLimits:
    """Largest body, in bytes, of an upload and of any other request.

    >>> BodyLimits(request_bytes=64 * 1024, upload_bytes=50 * 1024 * 1024).for_route("POST", "/api/ask")
    65536
    """

    request_bytes: int
    upload_bytes: int

    def __post_init__(self) -> None:
        if self.request_bytes <= 0 or self.upload_bytes <= 0:
            raise ValueError(f"body limits must be positive, got request_bytes={self.request_bytes}, upload_bytes={self.upload_bytes}")

    @staticmethod
    def is_upload(method: str, path: str) -> bool:
        return (method, path.rstrip("/") or "/") in UPLOAD_ROUTES

    def for_route(self, method: str, path: str) -> int:
        if self.is_upload(method, path):
            return self.upload_bytes + MULTIPART_ALLOWANCE_BYTES
        return self.request_bytes

    def message(self, method: str, path: str) -> str:
        if self.is_upload(method, path):
            return f"上传内容过大：每次上传最多 {_size(self.upload_bytes)}，请分批上传或压缩文件后再试。"
        return f"请求体过大：此接口的请求体最多 {_size(self.request_bytes)}，请精简后再提交。"


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class RequestBodyLimitMiddleware:
    """Pure ASGI: checks ``Content-Length``, authorises uploads, then counts the bytes of ``receive()`` messages."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        limit = self.limits.for_route(method, path)
        too_large = JSONResponse({"detail": self.limits.message(method, path)}, status_code=413)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await too_large(scope, receive, send)
            return
        if self.limits.is_upload(method, path):
            refusal = await self._refuse_non_staff(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return

        received = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded and not started:
                return  # the app's answer to a body cut short; the 413 goes out instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge:
            pass
        except Exception:  # what the app made of the cut body (FastAPI: a 400), unless it had already answered
            if not exceeded or started:
                raise
        if exceeded and not started:
            await too_large(scope, receive, send)

    @staticmethod
    async def _refuse_non_staff(scope: Scope) -> JSONResponse | None:
        """401/403 for an upload by anyone but staff, decided from the headers alone."""
        request = Request(scope)
        try:
            require_staff(await run_in_threadpool(current_identity, request))
        except AccessDenied as denied:
            return JSONResponse(denied.as_json(), status_code=denied.status_code)
        return None
