"""What request handlers get from the app: the assembled product."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from policykb.assembly import PolicyKB

# SQLite counts and skips rows with 64-bit integers: a larger number is an OverflowError there (a 500), not a page.
MAX_SQL_INTEGER = 2**63 - 1
Offset = Annotated[int, Query(ge=0, le=MAX_SQL_INTEGER, description="跳过的条数")]


def get_kb(request: Request) -> PolicyKB:
    return request.app.state.kb
