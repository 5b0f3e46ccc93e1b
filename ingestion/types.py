"""Data shapes shared by the readers, the metadata extractor, the chunker and the index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum


class SourceFormat(str, Enum):
    TXT = "txt"
    MD = "md"
    HTML = "html"
    DOCX = "docx"
    PDF = "pdf"


@dataclass(frozen=True)
class ExtractedText:
    """Plain text of one file, as a reader produced it.

    ``text`` is what chunk offsets and citation spans point into. ``title_hint`` is a title the container
    itself declares (HTML ``<title>``/meta, DOCX title style, Markdown ``# `` line), when it has one.
    """

    text: str
    source_format: SourceFormat
    encoding: str | None = None
    title_hint: str | None = None


class DocumentRejected(Exception):
    """A file that cannot be ingested. ``reason`` is a Chinese sentence a person can act on."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


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
    tags: list[str] = field(default_factory=list)  # policy type slugs, see ingestion.metadata.POLICY_TAGS
    evidence: dict[str, Evidence] = field(default_factory=dict)  # field name -> where it was read


@dataclass(frozen=True)
class Chunk:
    """A piece of a document's text. ``text == source[char_start:char_end]``."""

    text: str
    char_start: int
    char_end: int
    heading_path: tuple[str, ...] = ()

    @property
    def section(self) -> str:
        """Heading path joined for display, e.g. ``第三章 扶持措施 > 第十二条``."""
        return " > ".join(self.heading_path)


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
