"""What PolicyKB knows about a policy document, shared by ingestion, the index, answers and push."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum


class ValidityStatus(str, Enum):
    IN_FORCE = "现行有效"
    NOT_YET_IN_FORCE = "尚未施行"
    EXPIRED = "已失效"


@dataclass(frozen=True)
class Evidence:
    """The span of the text a metadata value was read from: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


@dataclass
class PolicyMetadata:
    title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    written_date: date | None = None  # 成文日期
    publish_date: date | None = None  # 发布日期
    effective_date: date | None = None  # 施行日期
    expiry_date: date | None = None  # 废止/失效日期
    status: ValidityStatus = ValidityStatus.IN_FORCE
    region: str | None = None  # e.g. 内蒙古自治区呼和浩特市, 广东省广州市, 北京市
    tags: list[str] = field(default_factory=list)  # policy type slugs, see policy.tags.POLICY_TAGS
    evidence: dict[str, Evidence] = field(default_factory=dict)  # field name -> where it was read


def current_status(metadata: PolicyMetadata, today: date | None = None) -> ValidityStatus:
    """The validity of a document on ``today``, from its extracted status and dates (same rule as the SQL)."""
    today = today or date.today()
    if metadata.status == ValidityStatus.EXPIRED:
        return ValidityStatus.EXPIRED
    if metadata.expiry_date is not None and metadata.expiry_date < today:
        return ValidityStatus.EXPIRED
    if metadata.effective_date is not None and metadata.effective_date > today:
        return ValidityStatus.NOT_YET_IN_FORCE
    return ValidityStatus.IN_FORCE
