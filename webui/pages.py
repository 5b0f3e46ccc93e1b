"""HTML pages (Jinja2, server-rendered, no build step, no CDN)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from policykb.assembly import PolicyKB
from webui.dependencies import get_kb
from webui.paths import TEMPLATES_DIR

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, kb: Annotated[PolicyKB, Depends(get_kb)], q: Annotated[str, Query(max_length=500)] = "") -> HTMLResponse:
    query = q.strip()
    hits = await run_in_threadpool(kb.searcher.search, query, top_k=10) if query else []
    return templates.TemplateResponse(
        request,
        "search.html",
        {"query": query, "hits": hits, "documents": kb.store.count_documents()},
    )
