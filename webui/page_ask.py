"""GET /ask: the question-answering page (server-rendered; every shown value is escaped by Jinja2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from policykb.assembly import PolicyKB
from qa.pipeline import QuestionRejected
from webui.dependencies import get_kb
from webui.pages import render

router = APIRouter(include_in_schema=False)


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
    }
    return render(request, "ask.html", context, status_code=status)
