"""What a delivery carries: one push record with its enterprise and policy version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PushMessage:
    push_record_id: int
    enterprise_id: int
    enterprise_name: str
    credit_code: str
    doc_id: str
    content_hash: str
    policy_title: str
    issuer: str | None
    reasons: list[str]
    title: str
    body: str
    url: str
    created_at: datetime

    @property
    def delivery_id(self) -> str:
        """Stable id of this push; receivers de-duplicate by it."""
        return f"push-{self.push_record_id}"

    def as_json(self) -> dict[str, Any]:
        return {
            "event": "policy.push",
            "delivery_id": self.delivery_id,
            "enterprise": {"id": self.enterprise_id, "name": self.enterprise_name, "credit_code": self.credit_code},
            "policy": {"policy_id": self.doc_id, "doc_id": self.doc_id, "version": self.content_hash, "title": self.policy_title, "issuer": self.issuer, "url": self.url},
            "reasons": self.reasons,
            "title": self.title,
            "body": self.body,
            "created_at": self.created_at.isoformat() + "Z",
        }
