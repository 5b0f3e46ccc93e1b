"""HTML pages (Jinja2, server-rendered, no build step, no CDN): the shared renderer and the home page (政策问答).

Every page module renders through :func:`render`, which adds the current role (for the navigation) and
content-hashed static URLs. The chat form works without JavaScript (it posts to ``/ask``); ``static/chat.js``
upgrades it to a streamed conversation.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from webui.paths import STATIC_DIR, TEMPLATES_DIR
from webui.roles import current_identity

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)

SUGGESTED_QUESTIONS = (
    "个体工商户可以享受哪些扶持政策？",
    "港澳青年在天河区创业有什么补贴？",
    "高校毕业生创业有哪些扶持？",
    "小微企业有哪些税费优惠？",
)


@lru_cache(maxsize=64)
def _static_hash(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: browsers cache it until the file changes."""
    return f"/static/{name}?v={_static_hash(name)}"


templates.env.globals["static_url"] = static_url


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    identity = current_identity(request)
    return templates.TemplateResponse(request, template, {"identity": identity, **context}, status_code=status_code)


# ask.html is also rendered by webui.page_ask (the no-JavaScript answer page), which passes no identity.
templates.env.globals["suggested_questions"] = SUGGESTED_QUESTIONS


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    if "q" in request.query_params:
        # "/?q=" was the search page before the chat became the home page: old links still get results.
        from webui.page_library import library

        return await library(request, q=request.query_params["q"])
    kb = request.app.state.kb
    context = {
        "question": "",
        "answer": None,
        "error": None,
        "conversation_id": None,
        "max_chars": kb.settings.qa_max_question_chars,
        "documents": kb.store.count_documents(),
    }
    return render(request, "ask.html", context)
