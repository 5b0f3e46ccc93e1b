"""The document formats PolicyKB reads, each with its file-name suffixes: the one list every part derives from.

Ingestion picks files from folders by these suffixes, the readers use them as hints, and the CLI and the
upload form name and accept them.

>>> format_of_suffix(".HTM")
<SourceFormat.HTML: 'html'>
>>> supported_formats_text()
'PDF、DOCX、HTML、TXT、MD'
"""

from __future__ import annotations

from dataclasses import dataclass

from policy.labels import LabelledEnum


class SourceFormat(LabelledEnum, unknown="未知的文件格式“{value}”"):
    TXT = "txt", "TXT"
    MD = "md", "MD"
    HTML = "html", "HTML"
    DOCX = "docx", "DOCX"
    PDF = "pdf", "PDF"


@dataclass(frozen=True)
class DocumentFormat:
    """A readable format and the suffixes (lower case, with the dot) its files carry, the usual one first."""

    source_format: SourceFormat
    suffixes: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.source_format.label


# In the order people are told about them.
DOCUMENT_FORMATS: tuple[DocumentFormat, ...] = (
    DocumentFormat(SourceFormat.PDF, (".pdf",)),
    DocumentFormat(SourceFormat.DOCX, (".docx",)),
    DocumentFormat(SourceFormat.HTML, (".html", ".htm", ".xhtml", ".shtml")),
    DocumentFormat(SourceFormat.TXT, (".txt",)),
    DocumentFormat(SourceFormat.MD, (".md", ".markdown", ".mdown")),
)
_BY_SUFFIX = {suffix: spec.source_format for spec in DOCUMENT_FORMATS for suffix in spec.suffixes}
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_BY_SUFFIX)


def format_of_suffix(suffix: str) -> SourceFormat | None:
    """The format a file-name suffix (``.htm``, any case) names, or None for a suffix no format has."""
    return _BY_SUFFIX.get(suffix.lower())


def suffixes_of(source_format: SourceFormat) -> tuple[str, ...]:
    """The suffixes of one format, the usual one first."""
    return next(spec.suffixes for spec in DOCUMENT_FORMATS if spec.source_format is source_format)


def supported_formats_text() -> str:
    """The formats named for people: ``PDF、DOCX、HTML、TXT、MD``."""
    return "、".join(spec.label for spec in DOCUMENT_FORMATS)


def supported_suffixes_text(separator: str = " ") -> str:
    """Every supported suffix, in the registry's order: ``.pdf .docx .html …`` (``","`` gives an HTML ``accept``)."""
    return separator.join(suffix for spec in DOCUMENT_FORMATS for suffix in spec.suffixes)
