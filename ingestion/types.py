"""Data shapes inside ingestion: a reader's text, a refused file, and the chunker's pieces."""

from __future__ import annotations

from dataclasses import dataclass

from policy.formats import SourceFormat


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
