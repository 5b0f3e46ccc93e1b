"""What PolicyKB knows about a policy document, shared by ingestion, the index, answers and push."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum


class ValidityStatus(str, Enum):
    """Whether a policy applies. A stored status is the one read from the text (or set by staff); the status on a
    given day also follows the dates (:func:`current_status`)."""

    IN_FORCE = "现行有效"
    NOT_YET_IN_FORCE = "尚未施行"
    EXPIRED = "已失效"
    UNCERTAIN = "时效不确定"  # a time-limited measure whose end is an event (疫情解除) or not stated
    SUPERSEDED = "已被修订"  # an older version of a law or regulation the library holds a newer version of


class DocumentKind(str, Enum):
    """What a text is: the policy itself, an interpretation of it, or a news report about it. Only a 政策文件
    is the policy; the other two may explain it but are never cited as it."""

    POLICY = "政策文件"
    INTERPRETATION = "政策解读"
    NEWS = "新闻报道"


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
    kind: DocumentKind = DocumentKind.POLICY
    superseded_by: str | None = None  # doc_id of the newer version of the same law or regulation
    corrected: list[str] = field(default_factory=list)  # fields a person set; kept when the file is ingested again

    @property
    def is_policy(self) -> bool:
        """Whether the text is the policy itself (not an interpretation or a news report), so it may be cited as it."""
        return self.kind == DocumentKind.POLICY


def current_status(metadata: PolicyMetadata, today: date | None = None) -> ValidityStatus:
    """The validity of a document on ``today``, from its stored status and dates (same rule as the stores' queries):
    an explicit 已失效 stays; a passed expiry date expires it on its day; a future effective date is 尚未施行;
    otherwise an older version stays 已被修订 and an event-bound measure 时效不确定."""
    today = today or date.today()
    if metadata.status == ValidityStatus.EXPIRED:
        return ValidityStatus.EXPIRED
    if metadata.expiry_date is not None and metadata.expiry_date < today:
        return ValidityStatus.EXPIRED
    if metadata.effective_date is not None and metadata.effective_date > today:
        return ValidityStatus.NOT_YET_IN_FORCE
    if metadata.status in (ValidityStatus.SUPERSEDED, ValidityStatus.UNCERTAIN):
        return metadata.status
    return ValidityStatus.IN_FORCE
