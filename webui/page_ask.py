"""政策问答 pages: the home page (the chat) and GET /ask, the answer page (server-rendered; Jinja2 escapes every value).

The chat form works without JavaScript (it posts to ``/ask``); ``static/chat.js`` upgrades it to a streamed
conversation.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from policykb.assembly import PolicyKB
from qa.pipeline import QuestionRejected
from webui.dependencies import get_kb
from webui.page_library import library
from webui.rendering import render

router = APIRouter(include_in_schema=False)

SUGGESTED_QUESTIONS = (
    "个体工商户可以享受哪些扶持政策？",
    "港澳青年在天河区创业有什么补贴？",
    "高校毕业生创业有哪些扶持？",
    "小微企业有哪些税费优惠？",
)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    if "q" in request.query_params:
        # "/?q=" was the search page before the chat became the home page: old links still get results.
        return await library(request, q=request.query_params["q"])
    kb = request.app.state.kb
    context = {
        "question": "",
        "answer": None,
        "error": None,
        "conversation_id": None,
        "max_chars": kb.settings.qa_max_question_chars,
        "documents": kb.store.count_documents(),
        "suggested_questions": SUGGESTED_QUESTIONS,
    }
    return render(request, "ask.html", context)


@router.get("/ask", response_class=HTMLResponse)
async def ask_page(
    request: Request,
    kb: Annotated[PolicyKB, Depends(get_kb)],
    question: Annotated[str | None, Query()] = None,
    conversation_id: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    answer = None
    error = None
    status = 200
    if question is not None:
        try:
            answer = await run_in_threadpool(kb.answerer.ask, question, conversation_id)
        except QuestionRejected as rejected:
            error, status = str(rejected), 422
    context = {
        "question": question or "",
        "answer": answer,
        "error": error,
        "conversation_id": answer.conversation_id if answer else conversation_id,
        "max_chars": kb.settings.qa_max_question_chars,
        "suggested_questions": SUGGESTED_QUESTIONS,
    }
    return render(request, "ask.html", context, status_code=status)
