"""The renderer of every HTML page (Jinja2, server-rendered, no build step, no CDN).

Every page module renders through :func:`render`, which adds the current role (for the navigation) and
content-hashed static URLs. Templates live in ``webui/templates``: pages extend ``base.html``.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from webui.paths import STATIC_DIR, TEMPLATES_DIR
from webui.roles import current_identity

templates = Jinja2Templates(directory=TEMPLATES_DIR)


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
