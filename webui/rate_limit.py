"""Rate limiting: an in-memory token bucket per client IP, for questions (/api/ask, /ask), feedback and login, and
one per user name for failed logins (:mod:`webui.page_login`).

Each bucket holds ``per_minute`` tokens and refills at ``per_minute / 60`` a second, so a client may burst up to
the limit and then goes at the steady rate. Over the limit: HTTP 429 with a Chinese message and ``Retry-After``.
State lives in this process only (one `policykb serve`); limits come from the settings
``rate_limit_ask_per_minute``, ``rate_limit_feedback_per_minute``, ``rate_limit_login_per_minute`` and
``rate_limit_login_per_account_per_minute`` (0 turns a limit off). The client IP is the connection's peer: uvicorn
takes it from ``X-Forwarded-For`` only when the peer is one of the proxies named by ``forwarded_allow_ips``.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

TOO_MANY_REQUESTS = "请求过于频繁，请稍后再试。"
TOO_MANY_LOGINS = "登录尝试过于频繁，请稍后再试。"


class TokenBucketLimiter:
    """``allow(key)`` is True while ``key`` has a token left; keeps at most ``max_keys`` clients (LRU).

    Usage::

        limiter = TokenBucketLimiter(per_minute=30)
        if not limiter.allow("203.0.113.7"):
            ...  # answer 429
    """

    def __init__(self, per_minute: int, message: str = TOO_MANY_REQUESTS, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0:
            raise ValueError(f"per_minute must be 0 (off) or more. Currently, the per_minute is {per_minute}")
        self.per_minute = per_minute
        self.message = message
        self._max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        if self.per_minute == 0:
            return True
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * self.per_minute / 60)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return allowed

    def refund(self, key: str) -> None:
        """Give back the token ``key``'s last :meth:`allow` took (e.g. a login that turned out right)."""
        if self.per_minute == 0:
            return
        with self._lock:
            if key in self._buckets:
                tokens, last = self._buckets[key]
                self._buckets[key] = (min(float(self.per_minute), tokens + 1), last)

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(60 / self.per_minute)) if self.per_minute else 0


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def is_feedback(scope: Scope) -> bool:
    return scope["method"] == "POST" and scope["path"] == "/api/feedback"


def _is_question(scope: Scope) -> bool:
    path = scope["path"]
    if path in ("/api/ask", "/api/ask/stream"):
        return True
    return path == "/ask" and b"question=" in scope.get("query_string", b"")


class AskRateLimitMiddleware:
    """429 for a client asking faster than ``limiter`` allows; JSON under /api, plain text for the page.

    ``applies_to`` picks the requests the limiter counts (questions unless told otherwise, e.g. :func:`is_feedback`).
    """

    def __init__(self, app: ASGIApp, limiter: TokenBucketLimiter, applies_to: Callable[[Scope], bool] = _is_question) -> None:
        self.app = app
        self.limiter = limiter
        self.applies_to = applies_to

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.applies_to(scope) and not self.limiter.allow(client_key(Request(scope))):
            headers = {"Retry-After": str(self.limiter.retry_after_seconds)}
            response: Response
            if scope["path"].startswith("/api/"):
                response = JSONResponse({"detail": self.limiter.message}, status_code=429, headers=headers)
            else:
                response = PlainTextResponse(self.limiter.message, status_code=429, headers=headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
