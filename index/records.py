"""Documents as every backend stores them: metadata as JSON-ready values, and :class:`PolicyDocument` rebuilt from a record.

The embedded index keeps the metadata as a JSON column, Elasticsearch as an object field; both write
:func:`metadata_to_dict` and read back through :func:`document_from_record`, so the two cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from index.types import PolicyDocument
from policy.types import DocumentKind, Evidence, PolicyMetadata, ValidityStatus

_DATE_FIELDS = ("written_date", "publish_date", "effective_date", "expiry_date")


def metadata_to_dict(metadata: PolicyMetadata) -> dict[str, Any]:
    """``metadata`` as JSON-ready values: dates as ISO strings, the status as its label."""
    data = asdict(metadata)
    for key, value in data.items():
        if isinstance(value, date):
            data[key] = value.isoformat()
    data["status"] = metadata.status.value
    data["kind"] = metadata.kind.value
    return data


def metadata_to_json(metadata: PolicyMetadata) -> str:
    return json.dumps(metadata_to_dict(metadata), ensure_ascii=False)


def metadata_from_dict(stored: Mapping[str, Any]) -> PolicyMetadata:
    """The inverse of :func:`metadata_to_dict`; ``stored`` is not modified."""
    data = dict(stored)
    for key in _DATE_FIELDS:
        if data.get(key):
            data[key] = date.fromisoformat(data[key])
    data["status"] = ValidityStatus(data.get("status", ValidityStatus.IN_FORCE.value))
    data["kind"] = DocumentKind(data.get("kind") or DocumentKind.POLICY.value)
    data["evidence"] = {name: Evidence(**span) for name, span in (data.get("evidence") or {}).items()}
    return PolicyMetadata(**data)


def document_from_record(record: Mapping[str, Any]) -> PolicyDocument:
    """A stored document: identity and origin fields by name, ``metadata`` as :func:`metadata_to_dict` wrote it.

    A record read without its text (a result list) gives ``text == ""``.
    """
    return PolicyDocument(
        doc_id=record["doc_id"],
        path=record["path"],
        content_hash=record["content_hash"],
        source_format=record["source_format"],
        text=record.get("text") or "",
        metadata=metadata_from_dict(record["metadata"]),
        ingested_at=record.get("ingested_at") or "",
        original_file=record.get("original_file"),
        chunk_count=int(record.get("chunk_count") or 0),
    )
