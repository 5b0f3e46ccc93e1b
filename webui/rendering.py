"""The renderer of every HTML page (Jinja2, server-rendered, no build step, no CDN).

Every page module renders through :func:`render`, which adds the current role (for the navigation) and
content-hashed static URLs. Templates live in ``webui/templates``: pages extend ``base.html``. Two filters show
values as the reader may see them: ``source_path`` (a document's path, cut for anyone but staff,
:mod:`webui.public_paths`) and ``local_time`` (a stored UTC time in the display zone, :mod:`webui.display_time`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from webui.display_time import local_time, zone_label
from webui.paths import STATIC_DIR, TEMPLATES_DIR
from webui.public_paths import public_path
from webui.roles import current_identity

templates = Jinja2Templates(directory=TEMPLATES_DIR)


@lru_cache(maxsize=64)
def _static_hash(name: str) -> str:
    return hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]


def static_url(name: str) -> str:
    """``/static/<name>?v=<content hash>``: browsers cache it until the file changes."""
    return f"/static/{name}?v={_static_hash(name)}"


@pass_context
def _source_path(context: Context, path: str) -> str:
    identity = context.get("identity")
    return path if identity is not None and identity.is_staff else public_path(path)


@pass_context
def _local_time(context: Context, value: str | datetime | None, seconds: bool = False) -> str:
    zone = ZoneInfo(context["request"].app.state.kb.settings.display_timezone)
    return local_time(value, zone, seconds=seconds)


@pass_context
def _time_zone_label(context: Context) -> str:
    return zone_label(context["request"].app.state.kb.settings.display_timezone)


templates.env.globals["static_url"] = static_url
templates.env.globals["time_zone_label"] = _time_zone_label
templates.env.filters["source_path"] = _source_path
templates.env.filters["local_time"] = _local_time


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    identity = current_identity(request)
    return templates.TemplateResponse(request, template, {"identity": identity, **context}, status_code=status_code)
