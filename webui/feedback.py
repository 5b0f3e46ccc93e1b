"""👍/👎 feedback on answers, kept for staff review in ``<data_dir>/feedback.sqlite3``.

``POST /api/feedback`` takes one rating from the chat page; ``GET /api/feedback`` (staff only) lists them, newest
first; the staff console shows the same list at ``/staff/feedback``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from policy.labels import LabelledEnum
from webui.dependencies import Offset
from webui.errors import error_responses
from webui.roles import Identity, current_identity, require_staff

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    conversation_id TEXT,
    cited_doc_ids TEXT NOT NULL,
    comment TEXT,
    role TEXT NOT NULL
)
"""


class Rating(LabelledEnum):
    UP = "up", "👍 有帮助"
    DOWN = "down", "👎 没帮助"


@dataclass(frozen=True)
class FeedbackEntry:
    id: int
    created_at: str
    rating: Rating
    question: str
    answer: str
    refused: bool
    conversation_id: str | None
    cited_doc_ids: list[str]
    comment: str | None
    role: str


class FeedbackStore:
    """A small SQLite table; one connection per call, so threads never share one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as connection:
            connection.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def add(self, rating: Rating, question: str, answer: str, *, refused: bool, conversation_id: str | None,
            cited_doc_ids: list[str], comment: str | None, role: str) -> int:
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._connect() as connection:
            cursor = connection.execute(
                "INSERT INTO feedback(created_at, rating, question, answer, refused, conversation_id, cited_doc_ids, comment, role)"
                " VALUES (?,?,?,?,?,?,?,?,?)",
                (created, rating.value, question, answer, int(refused), conversation_id, json.dumps(cited_doc_ids), comment, role),
            )
            return int(cursor.lastrowid or 0)

    def list(self, limit: int = 100, offset: int = 0, rating: Rating | None = None) -> list[FeedbackEntry]:
        where, params = ("WHERE rating = ?", [rating.value]) if rating else ("", [])
        with self._connect() as connection:
            rows = connection.execute(
                f"SELECT id, created_at, rating, question, answer, refused, conversation_id, cited_doc_ids, comment, role"
                f" FROM feedback {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [
            FeedbackEntry(r[0], r[1], Rating(r[2]), r[3], r[4], bool(r[5]), r[6], json.loads(r[7]), r[8], r[9]) for r in rows
        ]

    def counts(self) -> dict[str, int]:
        with self._connect() as connection:
            rows = connection.execute("SELECT rating, COUNT(*) FROM feedback GROUP BY rating").fetchall()
        return {"up": 0, "down": 0} | {rating: count for rating, count in rows}


_store_lock = threading.Lock()


def get_feedback_store(request: Request) -> FeedbackStore:
    state = request.app.state
    with _store_lock:
        if getattr(state, "feedback_store", None) is None:
            state.feedback_store = FeedbackStore(state.kb.settings.data_dir / "feedback.sqlite3")
    return state.feedback_store


class FeedbackInput(BaseModel):
    rating: Rating = Field(description="up（有帮助）或 down（没帮助）")
    question: str = Field(min_length=1, max_length=1000)
    answer: str = Field("", max_length=5000)
    refused: bool = False
    conversation_id: str | None = Field(None, max_length=100)
    cited_doc_ids: list[str] = Field(default_factory=list, max_length=20)
    comment: str | None = Field(None, max_length=1000)


router = APIRouter(tags=["feedback"], responses=error_responses(401, 403, 422))


@router.post("/api/feedback", status_code=201, summary="对答复点赞或点踩（供工作人员复核）", responses=error_responses(400, 429))
async def add_feedback(
    payload: FeedbackInput,
    store: Annotated[FeedbackStore, Depends(get_feedback_store)],
    identity: Annotated[Identity, Depends(current_identity)],
) -> dict[str, Any]:
    entry_id = await run_in_threadpool(
        store.add, payload.rating, payload.question, payload.answer, refused=payload.refused,
        conversation_id=payload.conversation_id, cited_doc_ids=payload.cited_doc_ids,
        comment=(payload.comment or "").strip() or None, role=identity.role.value,
    )
    return {"id": entry_id, "message": "感谢您的反馈"}


@router.get("/api/feedback", summary="答复反馈列表（仅工作人员）")
async def list_feedback(
    store: Annotated[FeedbackStore, Depends(get_feedback_store)],
    _: Annotated[Identity, Depends(require_staff)],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    entries = await run_in_threadpool(store.list, limit, offset)
    return {"counts": store.counts(), "feedback": [{**e.__dict__, "rating": e.rating.value} for e in entries]}
