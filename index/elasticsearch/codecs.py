"""Documents and chunks as Elasticsearch ``_source`` records, and chunks back (documents come back through
:func:`index.records.document_from_record`, as from the embedded index).

Every record carries the *revision* of the write that made it; a document record names its current revision, and
readers ignore chunks of any other. Chunks also carry copies of their document's filter fields, so searches filter
chunks without a join.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from index.records import metadata_to_dict
from index.types import IndexedChunk, PolicyDocument

# Chunk fields only filters and IK search read: left out of what a search returns.
FILTER_ONLY_CHUNK_FIELDS = ["heading_text", "region", "issuer", "tags", "status", "effective_date", "expiry_date", "doc_date"]


def document_source(
    document: PolicyDocument, chunks: list[IndexedChunk], revision: str, indexed_at: str
) -> dict[str, Any]:
    """The documents-index record of ``document`` written by revision ``revision`` at ``indexed_at``."""
    metadata = document.metadata
    return {
        "doc_id": document.doc_id,
        "revision": revision,
        "path": document.path,
        "content_hash": document.content_hash,
        "source_format": document.source_format,
        "text": document.text,
        "metadata": metadata_to_dict(metadata),
        "title": metadata.title,
        "doc_number": metadata.doc_number,
        "ingested_at": document.ingested_at or indexed_at,
        "indexed_at": indexed_at,
        "original_file": document.original_file,
        "chunk_count": len(chunks),
        **_filter_values(document),
    }


def chunk_source(document: PolicyDocument, chunk: IndexedChunk, revision: str) -> dict[str, Any]:
    """The chunks-index record of ``chunk`` of ``document``, written by revision ``revision``."""
    source: dict[str, Any] = {
        "chunk_id": chunk.chunk_id,
        "doc_id": document.doc_id,
        "revision": revision,
        "ordinal": chunk.ordinal,
        "text": chunk.text,
        "char_start": chunk.char_start,
        "char_end": chunk.char_end,
        "section": chunk.section,
        "heading_text": " ".join(part for part in (document.metadata.title or "", chunk.section) if part),
        "body_tokens": " ".join(chunk.tokens),
        "heading_tokens": " ".join(chunk.heading_tokens),
        **_filter_values(document),
    }
    if chunk.embedding is not None:
        source["embedding"] = np.asarray(chunk.embedding, dtype=np.float32).tolist()
    return source


def chunk_from_source(source: dict[str, Any]) -> IndexedChunk:
    embedding = source.get("embedding")
    return IndexedChunk(
        chunk_id=source["chunk_id"],
        doc_id=source["doc_id"],
        ordinal=int(source["ordinal"]),
        text=source["text"],
        char_start=int(source["char_start"]),
        char_end=int(source["char_end"]),
        section=source.get("section") or "",
        tokens=(source.get("body_tokens") or "").split(),
        embedding=None if embedding is None else np.asarray(embedding, dtype=np.float32),
        heading_tokens=(source.get("heading_tokens") or "").split(),
    )


def _filter_values(document: PolicyDocument) -> dict[str, Any]:
    metadata = document.metadata
    doc_date = metadata.publish_date or metadata.written_date
    return {
        "region": metadata.region,
        "issuer": metadata.issuer,
        "tags": list(metadata.tags),
        "status": metadata.status.value,
        "effective_date": _iso(metadata.effective_date),
        "expiry_date": _iso(metadata.expiry_date),
        "doc_date": _iso(doc_date),
    }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
