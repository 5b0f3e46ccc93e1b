"""The store contract: what every index backend (embedded SQLite, Elasticsearch) offers.

Pipelines and the web app see only :class:`PolicyStore`; the backend is chosen once, in
``policykb.assembly``. ``tests/contract/`` holds the suite every backend must pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol, runtime_checkable

import numpy as np

from policy.errors import PolicyKBError
from policy.types import PolicyMetadata, current_status


class StoreError(PolicyKBError):
    """The index backend failed. The message is for a person (Chinese); ``status_code`` is the HTTP status to answer with."""

    status_code = 503


@dataclass(frozen=True)
class IndexedChunk:
    """One chunk as the store keeps it: text, position in its document, jieba tokens and embedding."""

    chunk_id: str  # "<doc_id>:<ordinal>"
    doc_id: str
    ordinal: int
    text: str
    char_start: int
    char_end: int
    section: str  # heading path, "第三章 扶持措施 > 第十二条"
    tokens: list[str]  # jieba tokens of the text
    embedding: np.ndarray | None = None  # float32, L2-normalised
    heading_tokens: list[str] = field(default_factory=list)  # tokens of the document title and section, weighted up


@dataclass
class PolicyDocument:
    """One ingested document version: identity, origin, full text and metadata."""

    doc_id: str  # stable id derived from the source path
    path: str  # source path as given at ingestion (or upload name)
    content_hash: str  # sha256 of the original file bytes
    source_format: str
    text: str
    metadata: PolicyMetadata
    ingested_at: str = ""  # ISO timestamp, set by the store
    original_file: str | None = None  # stored copy of the upload under data_dir/originals
    chunk_count: int = 0

    def summary(self, today: date | None = None) -> dict[str, object]:
        """Identity and metadata as JSON-ready values (no text), with the validity status on ``today``."""
        meta = self.metadata
        return {
            "doc_id": self.doc_id,
            "title": meta.title,
            "path": self.path,
            "doc_number": meta.doc_number,
            "issuer": meta.issuer,
            "region": meta.region,
            "written_date": _iso(meta.written_date),
            "publish_date": _iso(meta.publish_date),
            "effective_date": _iso(meta.effective_date),
            "expiry_date": _iso(meta.expiry_date),
            "status": current_status(meta, today).value,
            "kind": meta.kind.value,
            "superseded_by": meta.superseded_by,
            "tags": list(meta.tags),
            "source_format": self.source_format,
            "chunk_count": self.chunk_count,
            "ingested_at": self.ingested_at,
        }


@dataclass(frozen=True)
class SearchFilters:
    """Metadata filters every backend applies identically. Empty fields filter nothing."""

    region: str | None = None  # prefix match: "内蒙古自治区" matches "内蒙古自治区呼和浩特市"
    issuer: str | None = None  # substring match
    status: str | None = None  # exact ValidityStatus value
    tag: str | None = None  # one policy type slug
    date_from: date | None = None  # on the document's publish (else written) date
    date_to: date | None = None
    doc_ids: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not any((self.region, self.issuer, self.status, self.tag, self.date_from, self.date_to, self.doc_ids))


@dataclass(frozen=True)
class ChunkHit:
    """A chunk found by a retriever, with the score and rank it got there. The chunk carries its text and position;
    its tokens and embedding may be left empty (the embedded store does not read them for a search)."""

    chunk: IndexedChunk
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)  # per-retriever scores after fusion


@runtime_checkable
class PolicyStore(Protocol):
    """What the index layer offers above any backend."""

    def replace_document(self, document: PolicyDocument, chunks: list[IndexedChunk]) -> None:
        """Atomically put ``document`` with its chunks in place of any earlier version with the same doc_id."""

    def delete_document(self, doc_id: str) -> bool:
        """Remove a document and all its chunks; False when it was not there."""

    def get_document(self, doc_id: str) -> PolicyDocument | None: ...

    def describe_documents(self, doc_ids: list[str]) -> dict[str, PolicyDocument]:
        """Documents by id with their metadata but without their text (``text == ""``), for result lists."""

    def find_by_hash(self, content_hash: str) -> PolicyDocument | None: ...

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[PolicyDocument]: ...

    def count_documents(self) -> int: ...

    def count_chunks(self) -> int: ...

    def get_chunks(self, doc_id: str) -> list[IndexedChunk]: ...

    def bm25_search(self, tokens: list[str], top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        """Chunks ranked by BM25 over their jieba tokens (title tokens weigh more)."""

    def embedding_search(self, query_embedding: np.ndarray, top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        """Chunks ranked by cosine similarity to ``query_embedding``."""

    def close(self) -> None: ...


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
