"""JSON bodies holding a lone UTF-16 surrogate get a 422 naming the field, not a 500 (issue 23, item 7).

``{"question": "\\ud800补贴"}`` is valid JSON, and Python decodes it to a string no UTF-8 encoder accepts: the
first database write, tokenizer or JSON answer that meets it fails. Text from a browser never holds one (it sends
U+FFFD instead), so such a body is refused before any route sees it. Bodies are small here:
:class:`webui.request_limits.RequestBodyLimitMiddleware` runs first and bounds them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from webui.validation_messages import field_label

_SURROGATE = re.compile("[\ud800-\udfff]")
_BODYLESS = {"GET", "HEAD", "OPTIONS", "DELETE"}


def lone_surrogate_field(value: Any, field: str = "body") -> str | None:
    """The name of the innermost field whose text (or key) holds a lone surrogate, or None.

    >>> lone_surrogate_field({"filters": {"region": "\\ud800"}})
    'region'
    """
    pending: list[tuple[Any, str]] = [(value, field)]  # a stack, not recursion: any nesting JSON allows
    while pending:
        item, name = pending.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return name
        elif isinstance(item, dict):
            for key, child in item.items():
                if _SURROGATE.search(key):
                    return name
                pending.append((child, key))
        elif isinstance(item, list):
            pending.extend((child, name) for child in item)
    return None


def _is_json(scope: Scope) -> bool:
    """FastAPI reads a body as JSON when its type is JSON, or when it has no type at all."""
    content_type = next((value for name, value in scope.get("headers", []) if name == b"content-type"), b"").decode("latin-1")
    media_type = content_type.split(";", 1)[0].strip().lower()
    return not media_type or media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


class LoneSurrogateMiddleware:
    """Reads a JSON body, refuses it when a string in it holds a lone surrogate, else hands it on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        buffered: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            buffered.append(message)
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            if not message.get("more_body", False):
                break
        try:
            field = lone_surrogate_field(json.loads(bytes(body))) if body else None
        except (ValueError, RecursionError):
            field = None  # not JSON (or not UTF-8/16/32): the route answers that itself
        if field is not None:
            label = "请求体" if field == "body" else field_label(field)
            detail = f"{label}含有无效字符（不成对的 Unicode 代理项），请删除后重试"
            await JSONResponse({"detail": detail}, status_code=422)(scope, receive, send)
            return

        async def replay() -> Message:
            return buffered.pop(0) if buffered else await receive()

        await self.app(scope, replay, send)
