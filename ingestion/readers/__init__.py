"""Turn an uploaded file into plain text: :func:`read_document` picks the reader by content.

The file's leading bytes decide its type (``%PDF``, a ZIP holding ``word/document.xml``, HTML markup); the
extension only breaks ties between text formats (``.md`` vs ``.txt``) and names the type in error messages.
A reader either returns the document's full text or raises :class:`~ingestion.types.DocumentRejected` with a
reason in Chinese: never a partial text.

>>> from pathlib import Path
>>> extracted = read_document(Path("policies_sample/laws/企业所得税法(2018-12-29).md"), max_bytes=50 * 1024 * 1024)
>>> extracted.source_format, extracted.title_hint
(<SourceFormat.MD: 'md'>, '中华人民共和国企业所得税法')
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ingestion.readers.docx import read_docx
from ingestion.readers.html import read_html
from ingestion.readers.limits import ParserLimits
from ingestion.readers.pdf import read_pdf
from ingestion.readers.text import read_markdown, read_text
from ingestion.types import DocumentRejected, ExtractedText
from policy.formats import SourceFormat, suffixes_of, supported_formats_text

__all__ = ["DocumentReader", "ParserLimits", "read_document", "detect_format"]

# The reader of each format in policy.formats (its suffixes are listed there).
_READERS: dict[SourceFormat, Callable[[bytes, str], ExtractedText]] = {
    SourceFormat.TXT: read_text,
    SourceFormat.MD: read_markdown,
    SourceFormat.HTML: read_html,
    SourceFormat.DOCX: read_docx,
    SourceFormat.PDF: read_pdf,
}

# Leading bytes of formats people upload by mistake, with the name used in the rejection reason.
_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG 图片"),
    (b"\xff\xd8\xff", "JPEG 图片"),
    (b"GIF87a", "GIF 图片"),
    (b"GIF89a", "GIF 图片"),
    (b"II*\x00", "TIFF 图片"),
    (b"MM\x00*", "TIFF 图片"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "旧版 Office 文件（.doc/.xls/.ppt）"),
    (b"{\\rtf", "RTF 文档"),
    (b"Rar!\x1a\x07", "RAR 压缩包"),
    (b"7z\xbc\xaf\x27\x1c", "7z 压缩包"),
    (b"\x1f\x8b", "gzip 压缩包"),
    (b"%!PS", "PostScript 文件"),
    (b"\x7fELF", "可执行程序"),
)
_IMAGE_HINT = "图片中的文字需要 OCR，本系统未启用 OCR"
_HTML_MARKERS = re.compile(
    rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<meta\s[^>]*charset|<title>", re.IGNORECASE
)
_HTML_SUFFIXES = frozenset(suffixes_of(SourceFormat.HTML))
_MARKDOWN_SUFFIXES = frozenset(suffixes_of(SourceFormat.MD))
_SIZE_UNITS = (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024))


def _human_size(size: int) -> str:
    for unit, factor in _SIZE_UNITS:
        if size >= factor:
            return f"{size / factor:.1f} {unit}".replace(".0 ", " ")
    return f"{size} 字节"


def _zip_format(data: bytes, name: str, suffix: str) -> SourceFormat:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        kind = "DOCX 文件" if suffix == ".docx" else "ZIP 压缩包"
        raise DocumentRejected(name, f"{kind}已损坏，无法打开；请用原软件重新保存后再上传。") from exc
    if "word/document.xml" in names:
        return SourceFormat.DOCX
    if "xl/workbook.xml" in names:
        raise DocumentRejected(name, "不支持 Excel 表格（.xlsx）；请把内容另存为 DOCX、PDF 或 TXT 后再上传。")
    if "ppt/presentation.xml" in names:
        raise DocumentRejected(name, "不支持 PowerPoint 演示文稿（.pptx）；请另存为 PDF 后再上传。")
    if mimetype.startswith(b"application/vnd.oasis.opendocument"):
        raise DocumentRejected(name, "不支持 OpenDocument（ODT/ODS/ODP）文件；请另存为 DOCX 或 PDF 后再上传。")
    raise DocumentRejected(name, "这是一个 ZIP 压缩包而不是 Word 文档；请解压后逐个上传其中的文件。")


def _ascii_view(head: bytes) -> bytes:
    """The leading bytes with UTF-16 text narrowed to one byte per character, for markup sniffing."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec = "utf-16-le" if head.startswith(b"\xff\xfe") else "utf-16-be"
        return head[2:].decode(codec, "ignore").encode("ascii", "ignore")
    return head


def detect_format(data: bytes, name: str) -> SourceFormat:
    """Decide a file's format from its content, using the name's extension only as a hint.

    :param data: the file's bytes (non-empty).
    :param name: the file name.
    :returns: the format whose reader should read it.
    :raises DocumentRejected: a type no reader handles (images, archives, old Office files...).
    """
    suffix = Path(name).suffix.lower()
    head = data[:1024]
    if b"%PDF-" in head:
        return SourceFormat.PDF
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_format(data, name, suffix)
    for signature, kind in _UNSUPPORTED_SIGNATURES:
        if data.startswith(signature):
            hint = f"（{_IMAGE_HINT}）" if "图片" in kind else ""
            raise DocumentRejected(name, f"不支持的文件类型：{kind}{hint}；请上传 {supported_formats_text()} 文件。")
    if suffix == ".pdf":
        raise DocumentRejected(name, "文件扩展名是 .pdf，但内容不是 PDF（缺少 %PDF 文件头），文件可能已损坏；请重新导出后再上传。")
    if suffix == ".docx":
        raise DocumentRejected(name, "文件扩展名是 .docx，但内容不是 Word 文档（不是 ZIP 格式），文件可能已损坏；请重新保存后再上传。")
    head_text = _ascii_view(data[:8192])
    if _HTML_MARKERS.search(head_text) or (suffix in _HTML_SUFFIXES and b"<" in head_text):
        return SourceFormat.HTML
    if suffix in _MARKDOWN_SUFFIXES:
        return SourceFormat.MD
    return SourceFormat.TXT


class DocumentReader(Protocol):
    """What reads a file into text: :func:`read_document` itself, or :class:`ingestion.readers.sandbox.SandboxedReader`."""

    def __call__(self, path: Path, *, max_bytes: int, data: bytes | None = None) -> ExtractedText: ...


def read_document(path: Path, *, max_bytes: int, data: bytes | None = None, limits: ParserLimits = ParserLimits()) -> ExtractedText:
    """Read one uploaded file into plain text.

    :param path: the file; when ``data`` is given, only its name is used (for the type hint and messages).
    :param max_bytes: the largest file accepted; bigger files are rejected before they are parsed.
    :param data: the file's bytes, when they are already in memory (an upload).
    :param limits: caps on the XML of a DOCX and the pages of a PDF.
    :returns: the full text, its format, detected encoding and a title hint.
    :raises DocumentRejected: empty, too large, unsupported, damaged, encrypted, scanned or binary files.
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be greater than 0. Currently, max_bytes is {max_bytes}")
    name = path.name
    if data is None:
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise DocumentRejected(name, f"无法读取文件（{exc.strerror or type(exc).__name__}），请检查文件是否存在并有读取权限。") from exc
        _check_size(size, max_bytes, name)
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    _check_size(len(data), max_bytes, name)
    source_format = detect_format(data, name)
    if source_format is SourceFormat.DOCX:
        return read_docx(data, name, limits=limits)
    if source_format is SourceFormat.PDF:
        return read_pdf(data, name, limits=limits)
    return _READERS[source_format](data, name)


def _check_size(size: int, max_bytes: int, name: str) -> None:
    if size == 0:
        raise DocumentRejected(name, "文件是空的（0 字节），请检查后重新上传。")
    if size > max_bytes:
        raise DocumentRejected(
            name, f"文件大小 {_human_size(size)}，超过上限 {_human_size(max_bytes)}；请拆分文件或压缩图片后再上传。"
        )
