"""GET /api/search: hybrid retrieval over the library, with metadata filters."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from index.retrieval import RetrievalMode
from policykb.assembly import PolicyKB
from webui.dependencies import get_kb
from webui.errors import InvalidInput, error_responses
from webui.public_paths import public_record, viewer_is_staff
from webui.search_filters import SearchFilterInput, filter_query

router = APIRouter(tags=["search"])

MAX_QUERY_CHARS = 500


@router.get("/api/search", summary="检索政策段落（混合检索）", responses=error_responses(422))
async def search(
    request: Request,
    kb: Annotated[PolicyKB, Depends(get_kb)],
    q: Annotated[str, Query(description="检索内容")],
    top_k: Annotated[int | None, Query(ge=1, le=100)] = None,
    mode: Annotated[RetrievalMode, Query(description="hybrid / bm25 / dense")] = RetrievalMode.HYBRID,
    filter_input: Annotated[SearchFilterInput, Depends(filter_query)] = SearchFilterInput(),
) -> dict[str, Any]:
    query = q.strip()
    if not query:
        raise InvalidInput("检索内容不能为空")
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"检索内容过长（{len(query)} 字），请控制在 {MAX_QUERY_CHARS} 字以内")
    filters = filter_input.to_search_filters()
    hits = await run_in_threadpool(
        kb.searcher.search, query, top_k=top_k or kb.settings.default_top_k, filters=filters, mode=mode
    )
    shown = [asdict(hit) for hit in hits]
    if not viewer_is_staff(request):
        shown = [public_record(hit) for hit in shown]
    return {"query": query, "mode": mode.value, "hits": shown}
