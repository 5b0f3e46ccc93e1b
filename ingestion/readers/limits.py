"""How much work one file may cost its reader (issue 23, item 3).

The size of an upload alone does not bound its parse: a 20 MB DOCX can hold 134 MB of XML and a small PDF 20,000
pages. The readers refuse a file over these caps before parsing it, with a Chinese reason; the sandbox
(:mod:`ingestion.readers.sandbox`) bounds what the caps cannot foresee with a memory and a time limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.types import DocumentRejected

MB = 1024 * 1024


class ParseOutOfMemory(DocumentRejected):
    """A parse that ran out of memory: the file needs more than the reading process may take."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "解析该文件所需内存超过可用内存，已拒绝处理；文件可能过于复杂或被恶意构造。")


@dataclass(frozen=True)
class ParserLimits:
    """Caps on the XML of a DOCX and the pages of a PDF.

    >>> ParserLimits(docx_max_xml_bytes=64 * MB, docx_max_xml_elements=2_000_000, pdf_max_pages=2_000).pdf_max_pages
    2000
    """

    docx_max_xml_bytes: int = 64 * MB
    docx_max_xml_elements: int = 2_000_000
    pdf_max_pages: int = 2_000

    def __post_init__(self) -> None:
        for name in ("docx_max_xml_bytes", "docx_max_xml_elements", "pdf_max_pages"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be greater than 0. Currently, the {name} is {getattr(self, name)}")
