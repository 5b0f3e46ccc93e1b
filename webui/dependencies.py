"""What request handlers get from the app: the assembled product."""

from __future__ import annotations

from fastapi import Request

from policykb.assembly import PolicyKB


def get_kb(request: Request) -> PolicyKB:
    return request.app.state.kb
