"""The FastAPI application: all routes are listed here, in one place."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.staticfiles import StaticFiles

from policykb.assembly import PolicyKB
from push_rules.api import build_push_router
from push_rules.cli import run_worker
from policykb.settings import Settings
from webui import api_ask, api_documents, api_search, api_tokens, api_users, audit, feedback, page_admin, page_ask, page_library, page_portal, page_staff, pages, roles
from webui.audit import AuditLog, AuditMiddleware
from webui.csrf import CsrfMiddleware
from webui.push_access import authorize_push
from webui.rate_limit import TOO_MANY_LOGINS, AskRateLimitMiddleware, TokenBucketLimiter
from webui.security_headers import SecurityHeadersMiddleware
from webui.errors import error_responses, install_error_handlers
from webui.paths import STATIC_DIR


def create_app(settings: Settings) -> FastAPI:
    kb = PolicyKB(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Load the model before the first request, not during it.
        await run_in_threadpool(kb.embedder.warm_up)
        await run_in_threadpool(kb.answerer.warm_up)
        # Push delivery runs beside the requests, never inside one.
        stop_delivery = threading.Event()
        worker = threading.Thread(target=run_worker, args=(kb.push, stop_delivery), name="push-delivery", daemon=True)
        worker.start()
        yield
        stop_delivery.set()
        worker.join(timeout=30)
        kb.close()

    app = FastAPI(
        title="PolicyKB 政策通",
        description="政策文件库、智能问答与精准推送 API",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.state.kb = kb
    roles.install_accounts(app, settings.data_dir)
    app.state.audit = AuditLog.for_data_dir(settings.data_dir)
    app.state.rate_limits = {
        "ask": TokenBucketLimiter(settings.rate_limit_ask_per_minute),
        "login": TokenBucketLimiter(settings.rate_limit_login_per_minute, TOO_MANY_LOGINS),
    }
    install_error_handlers(app)
    roles.install_access_handler(app)
    # Last added runs first: headers wrap everything, even a 429 or an error page.
    app.add_middleware(AuditMiddleware)
    app.add_middleware(CsrfMiddleware)
    app.add_middleware(AskRateLimitMiddleware, limiter=app.state.rate_limits["ask"])
    app.add_middleware(SecurityHeadersMiddleware)

    @app.get("/healthz", tags=["ops"], summary="健康检查")
    async def healthz() -> dict[str, Any]:
        return {
            "status": "ok",
            "backend": settings.index_backend.value,
            "documents": kb.store.count_documents(),
            "chunks": kb.store.count_chunks(),
        }

    app.include_router(api_ask.router)
    app.include_router(api_search.router)
    app.include_router(api_documents.router)
    app.include_router(pages.router)
    app.include_router(page_ask.router)
    app.include_router(page_library.router)
    app.include_router(page_staff.router)
    app.include_router(page_portal.router)
    app.include_router(roles.router)
    app.include_router(api_tokens.router)
    app.include_router(audit.router)
    app.include_router(api_users.router)
    app.include_router(page_admin.router)
    app.include_router(feedback.router)
    # Who may call which push endpoint is the web app's concern, and so are its 401 and 403 answers.
    app.include_router(build_push_router(kb.push), dependencies=[Depends(authorize_push)], responses=error_responses(401, 403))
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
