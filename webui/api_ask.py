"""POST /api/ask and GET /api/ask/stream: policy Q&A with cited sources, refusals and follow-up questions."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from policykb.assembly import PolicyKB
from qa.pipeline import QuestionRejected
from webui.dependencies import get_kb
from webui.errors import InvalidInput, error_responses
from webui.public_paths import public_answer, public_record, viewer_is_staff
from webui.search_filters import SearchFilterInput, filter_query

router = APIRouter(tags=["ask"])


class AskRequest(BaseModel):
    question: str = Field(description="问题，如“创业担保贷款额度是多少？”")
    conversation_id: str | None = Field(None, description="多轮对话 ID（上一次答复返回的）；未知的 ID 会开始新对话")
    filters: SearchFilterInput | None = None


# One Server-Sent Event of /api/ask/stream, as OpenAPI 3.1 describes the items of a text/event-stream.
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "event": {"enum": ["answer", "citations", "done"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "required": ["event", "data"],
}


def _sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@router.post("/api/ask", summary="智能问答：带条文出处的答复，无依据时如实拒答", responses=error_responses(400, 403, 422, 429))
async def ask(http: Request, kb: Annotated[PolicyKB, Depends(get_kb)], request: AskRequest) -> dict[str, Any]:
    filters = request.filters.to_search_filters() if request.filters else None
    try:
        answer = await run_in_threadpool(kb.answerer.ask, request.question, request.conversation_id, filters)
    except QuestionRejected as error:
        raise InvalidInput(str(error)) from None
    return answer.to_json() if viewer_is_staff(http) else public_answer(answer.to_json())


@router.get(
    "/api/ask/stream",
    summary="智能问答（Server-Sent Events）：先逐段推送答复，再推送引用",
    description=(
        "事件依次为 answer（data: {\"delta\": 文本片段}）、citations（引用列表）、done（完整答复 JSON）。"
        "生成式模式下 answer 是模型逐字生成的草稿，done 中的 answer 是核对出处后的最终答复，两者不同时以 done 为准。"
    ),
    response_class=StreamingResponse,
    responses={
        200: {"description": "Server-Sent Events 事件流", "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}}},
        **error_responses(422, 429),
    },
)
async def ask_stream(
    http: Request,
    kb: Annotated[PolicyKB, Depends(get_kb)],
    question: Annotated[str, Query(description="问题")],
    conversation_id: Annotated[str | None, Query(description="多轮对话 ID")] = None,
    filters: Annotated[SearchFilterInput, Depends(filter_query)] = SearchFilterInput(),
) -> StreamingResponse:
    search_filters = filters.to_search_filters()
    events = kb.answerer.ask_stream(question, conversation_id, search_filters)
    try:
        # The first event is awaited before the response starts, so a rejected question or a failing search still
        # gets a proper error status (extractive answers are checked before their first piece is sent).
        first = await run_in_threadpool(next, events)
    except QuestionRejected as error:
        raise InvalidInput(str(error)) from None

    staff = viewer_is_staff(http)

    def shown(event: str, data: Any) -> Any:
        if event == "answer":
            return {"delta": data}
        if staff:
            return data
        return [public_record(c) for c in data] if event == "citations" else public_answer(data)

    def body() -> Iterator[str]:
        # Starlette runs this iterator in its thread pool: each event goes out as soon as the pipeline yields it
        # (in generative mode, the model's tokens as they arrive).
        for event, data in itertools.chain([first], events):
            yield _sse(event, shown(event, data))

    return StreamingResponse(body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
