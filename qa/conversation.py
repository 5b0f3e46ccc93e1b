"""Conversations for multi-turn questions, kept in a small SQLite file in the data directory.

Bounded on both axes: a conversation keeps its last ``max_turns`` turns, and the store keeps the
``max_conversations`` most recently used conversations (older ones are dropped when a new one starts).
An unknown conversation id simply starts a new conversation.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_updated ON conversations(updated_at);
CREATE TABLE IF NOT EXISTS turns (
    conversation_id TEXT NOT NULL REFERENCES conversations(conversation_id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    question TEXT NOT NULL,
    search_query TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL,
    doc_ids TEXT NOT NULL,
    titles TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
"""

_MAX_ID_CHARS = 64


@dataclass(frozen=True)
class Turn:
    """One question and what answered it: the searched query and the cited documents (main source first)."""

    question: str
    search_query: str
    answer: str
    refused: bool
    doc_ids: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()


@dataclass
class Conversation:
    conversation_id: str
    turns: list[Turn] = field(default_factory=list)
    is_new: bool = False


class ConversationStore:
    """SQLite-backed, thread-safe, bounded conversation history.

    >>> store = ConversationStore(Path("data/conversations.sqlite3"))
    >>> conversation = store.open(None)  # a new one
    >>> store.append(conversation.conversation_id, Turn("高企认定条件？", "高新技术企业认定条件", "…", False))
    """

    def __init__(self, path: Path, *, max_turns: int = 10, max_conversations: int = 10_000) -> None:
        if max_turns <= 0 or max_conversations <= 0:
            raise ValueError(f"max_turns and max_conversations must be positive, got {max_turns}, {max_conversations}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA foreign_keys=ON")
        self._connection.executescript(_SCHEMA)

    def open(self, conversation_id: str | None) -> Conversation:
        """The conversation with this id and its turns (oldest first); a new, empty one when the id is unknown or None."""
        if conversation_id and len(conversation_id) <= _MAX_ID_CHARS:
            with self._lock:
                known = self._connection.execute(
                    "SELECT 1 FROM conversations WHERE conversation_id = ?", (conversation_id,)
                ).fetchone()
                if known:
                    rows = self._connection.execute(
                        "SELECT question, search_query, answer, refused, doc_ids, titles FROM turns "
                        "WHERE conversation_id = ? ORDER BY position",
                        (conversation_id,),
                    ).fetchall()
                    turns = [
                        Turn(q, s, a, bool(r), tuple(json.loads(d)), tuple(json.loads(t))) for q, s, a, r, d, t in rows
                    ]
                    return Conversation(conversation_id, turns)
        return Conversation(uuid.uuid4().hex, [], is_new=True)

    def append(self, conversation_id: str, turn: Turn) -> None:
        """Add a turn (creating the conversation if needed), then trim to the bounds."""
        try:
            self._append(conversation_id, turn)
        except sqlite3.Error as error:  # e.g. a full disk: the answer still goes out, only the follow-up context is lost
            logger.warning("conversation %s: turn not saved: %s", conversation_id, error)

    def _append(self, conversation_id: str, turn: Turn) -> None:
        now = time.time()
        with self._lock, self._connection:
            connection = self._connection
            connection.execute(
                "INSERT INTO conversations(conversation_id, updated_at) VALUES (?, ?) "
                "ON CONFLICT(conversation_id) DO UPDATE SET updated_at = excluded.updated_at",
                (conversation_id, now),
            )
            position = connection.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            connection.execute(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id, position, turn.question, turn.search_query, turn.answer, int(turn.refused),
                    json.dumps(list(turn.doc_ids), ensure_ascii=False), json.dumps(list(turn.titles), ensure_ascii=False),
                ),
            )
            connection.execute(
                "DELETE FROM turns WHERE conversation_id = ? AND position <= ?", (conversation_id, position - self.max_turns)
            )
            connection.execute(
                "DELETE FROM conversations WHERE conversation_id IN ("
                "SELECT conversation_id FROM conversations ORDER BY updated_at DESC LIMIT -1 OFFSET ?)",
                (self.max_conversations,),
            )

    def count(self) -> int:
        with self._lock:
            return int(self._connection.execute("SELECT count(*) FROM conversations").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()
