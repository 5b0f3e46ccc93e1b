"""Where the web app is assembled: its stores, its middleware, its error handlers and every router, in order.

Each route lives in the module of its page or API; :data:`ROUTERS` lists every one of those modules' routers, and
:func:`create_app` includes them in that order, then the push API (guarded by :func:`webui.push_access.authorize_push`).
The one route defined here is the health check, ``GET /healthz``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles

from accounts.audit import AuditLog
from accounts.sessions import SessionSigner, SessionStore
from accounts.tokens import TokenStore
from accounts.users import AccountStore
from policykb.assembly import PolicyKB
from policykb.settings import Settings
from push_rules.api import build_push_router
from webui import (
    api_ask,
    api_docs,
    api_documents,
    api_search,
    api_tokens,
    api_users,
    audit,
    feedback,
    page_admin,
    page_ask,
    page_library,
    page_login,
    page_portal,
    page_staff,
)
from webui.audit import AuditMiddleware
from webui.csrf import CsrfMiddleware
from webui.enterprise_links import forget_deleted_enterprises
from webui.errors import error_responses, install_error_handlers
from webui.paths import STATIC_DIR
from webui.push_access import authorize_push
from webui.rate_limit import TOO_MANY_LOGINS, AskRateLimitMiddleware, TokenBucketLimiter, is_feedback
from webui.request_limits import BodyLimits, RequestBodyLimitMiddleware
from webui.security_headers import SecurityHeadersMiddleware
from webui.text_guard import LoneSurrogateMiddleware

ROUTERS: tuple[APIRouter, ...] = (
    api_ask.router,
    api_search.router,
    api_documents.router,
    page_ask.router,
    page_library.router,
    page_staff.router,
    page_portal.router,
    page_login.router,
    api_tokens.router,
    audit.router,
    api_users.router,
    page_admin.router,
    feedback.router,
    api_docs.router,
)


def create_app(settings: Settings) -> FastAPI:
    kb = PolicyKB(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Load the model before the first request, not during it.
        await run_in_threadpool(kb.embedder.warm_up)
        await run_in_threadpool(kb.answerer.warm_up)
        await run_in_threadpool(forget_deleted_enterprises, app.state.accounts, kb.push)
        # Push delivery runs beside the requests, never inside one.
        delivery = kb.start_push_delivery()
        yield
        delivery.stop()
        kb.close()

    app = FastAPI(
        title="PolicyKB 政策通",
        description="政策文件库、智能问答与精准推送 API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # webui/api_docs.py serves /docs from the app's own copy of Swagger UI (no CDN)
        redoc_url=None,
    )
    app.state.kb = kb
    app.state.accounts = AccountStore.for_data_dir(settings.data_dir)
    app.state.tokens = TokenStore(app.state.accounts)
    signer = SessionSigner.for_data_dir(settings.data_dir)
    app.state.sessions = SessionStore(app.state.accounts, signer, lifetime_seconds=settings.session_lifetime_hours * 3600)
    app.state.audit = AuditLog.for_data_dir(settings.data_dir)
    app.state.rate_limits = {
        "ask": TokenBucketLimiter(settings.rate_limit_ask_per_minute),
        "login": TokenBucketLimiter(settings.rate_limit_login_per_minute, TOO_MANY_LOGINS),
        "login_account": TokenBucketLimiter(settings.rate_limit_login_per_account_per_minute, TOO_MANY_LOGINS),
        "feedback": TokenBucketLimiter(settings.rate_limit_feedback_per_minute),
    }
    install_error_handlers(app)
    # Last added runs first: headers wrap everything, even a 429 or an error page.
    app.add_middleware(AuditMiddleware)
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(AskRateLimitMiddleware, limiter=app.state.rate_limits["ask"])
    app.add_middleware(AskRateLimitMiddleware, limiter=app.state.rate_limits["feedback"], applies_to=is_feedback)
    app.add_middleware(LoneSurrogateMiddleware)
    # Body limits (and the staff check of uploads) before anything reads a body, even an over-limit question.
    limits = BodyLimits(request_bytes=settings.max_request_body_kb * 1024, upload_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestBodyLimitMiddleware, limits=limits)
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/healthz", tags=["ops"], summary="健康检查")
    async def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "backend": settings.index_backend.value,
            "documents": kb.store.count_documents(),
            "chunks": kb.store.count_chunks(),
        }

    for router in ROUTERS:
        app.include_router(router)
    # Who may call which push endpoint is the web app's concern, and so are its 401 and 403 answers.
    push_router = build_push_router(kb.push, on_enterprise_deleted=app.state.accounts.unlink_enterprise)
    app.include_router(push_router, dependencies=[Depends(authorize_push)], responses=error_responses(401, 403))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount(api_docs.ASSETS_PATH, api_docs.swagger_assets(), name="api-docs-assets")
    return app
