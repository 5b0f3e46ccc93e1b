"""Word (.docx) files: paragraphs and tables in document order.

A .docx is a ZIP archive; its central directory is checked before anything is unpacked, so a "zip bomb"
(many entries, or a few small entries that inflate to gigabytes) is rejected without being expanded.
Paragraph text is read from the XML directly rather than through ``Paragraph.text`` so that runs inside
tracked insertions, content controls and text boxes are not lost; deleted runs and the VML fallback copy of
text boxes are skipped.

The archive checks bound the unpacked size, not the work: a few MB of DOCX may hold a hundred MB of XML. So the
XML parts are also capped (:class:`~ingestion.readers.limits.ParserLimits`): their declared size, then their
element count in a streaming pass that keeps no tree, both before python-docx builds one.
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree

from ingestion.readers.limits import MB, ParseOutOfMemory, ParserLimits
from ingestion.types import DocumentRejected, ExtractedText
from policy.formats import SourceFormat

MAX_ZIP_ENTRIES = 2_000
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
# Entries inflating more than this many times over (above 1 MiB) are treated as a zip bomb;
# the XML of real documents compresses about 5-20 times.
MAX_COMPRESSION_RATIO = 200
_RATIO_CHECK_FROM = 1024 * 1024

_P, _TBL, _SDT, _SDT_CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
_TR, _TC, _T, _TAB, _BR, _CR = qn("w:tr"), qn("w:tc"), qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")
_DEL, _NO_BREAK_HYPHEN, _PPR = qn("w:del"), qn("w:noBreakHyphen"), qn("w:pPr")
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_TITLE_STYLES = frozenset({"title", "标题"})


def _check_archive(data: bytes, name: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise DocumentRejected(name, "DOCX 文件已损坏（不是有效的 ZIP 压缩包），无法打开；请用 Word 或 WPS 重新保存后再上传。") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > MAX_ZIP_ENTRIES:
            raise DocumentRejected(
                name, f"DOCX 压缩包内有 {len(entries)} 个文件，超过上限 {MAX_ZIP_ENTRIES} 个，疑似恶意构造的文件，已拒绝处理。"
            )
        total = sum(entry.file_size for entry in entries)
        if total > MAX_UNCOMPRESSED_BYTES:
            raise DocumentRejected(
                name,
                f"DOCX 解压后大小约 {total // (1024 * 1024)} MB，超过上限 {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB，"
                "疑似压缩炸弹，已拒绝处理；如确为正常文件，请删除其中的大图片后再上传。",
            )
        for entry in entries:
            inflation = entry.file_size / max(1, entry.compress_size)
            if entry.file_size > _RATIO_CHECK_FROM and inflation > MAX_COMPRESSION_RATIO:
                raise DocumentRejected(
                    name, f"DOCX 内的 {entry.filename} 压缩比异常（超过 {MAX_COMPRESSION_RATIO} 倍），疑似压缩炸弹，已拒绝处理。"
                )
        if "word/document.xml" not in archive.namelist():
            raise DocumentRejected(name, "这个 ZIP 文件里没有 Word 正文（word/document.xml），不是 DOCX 文档；请上传 .docx 文件。")
        bad = archive.testzip()
        if bad is not None:
            raise DocumentRejected(name, f"DOCX 文件已损坏（{bad} 校验失败），请用 Word 或 WPS 重新保存后再上传。")


def _is_xml_part(entry: zipfile.ZipInfo) -> bool:
    return entry.filename.endswith((".xml", ".rels"))


def _check_xml(data: bytes, name: str, limits: ParserLimits) -> None:
    """Refuse a DOCX whose XML parts together are larger, or hold more elements, than ``limits`` allow."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = [entry for entry in archive.infolist() if _is_xml_part(entry)]
        size = sum(entry.file_size for entry in parts)
        if size > limits.docx_max_xml_bytes:
            raise DocumentRejected(
                name,
                f"DOCX 内的 XML 共约 {size // MB} MB，超过上限 {limits.docx_max_xml_bytes // MB} MB（设置项 parser_docx_max_xml_mb），"
                "疑似恶意构造的文件，已拒绝处理；如确为正常文件，请拆分为几个文档后再上传。",
            )
        elements = 0
        for entry in parts:
            with archive.open(entry) as stream:
                try:
                    for _, element in etree.iterparse(stream, events=("end",), resolve_entities=False, no_network=True):
                        elements += 1
                        if elements > limits.docx_max_xml_elements:
                            raise DocumentRejected(
                                name,
                                f"DOCX 内的 XML 元素超过 {limits.docx_max_xml_elements:,} 个（设置项 parser_docx_max_xml_elements），"
                                "疑似恶意构造的文件，已拒绝处理；如确为正常文件，请拆分为几个文档后再上传。",
                            )
                        element.clear()
                        while element.getprevious() is not None:
                            del element.getparent()[0]
                except etree.XMLSyntaxError:
                    continue  # damaged XML: python-docx reports it below with the usual reason


def _paragraph_text(p: etree._Element) -> str:
    parts: list[str] = []
    stack = [iter(p)]
    while stack:
        element = next(stack[-1], None)
        if element is None:
            stack.pop()
            continue
        tag = element.tag
        if tag in (_DEL, _MC_FALLBACK, _PPR):
            continue
        if tag == _T:
            parts.append(element.text or "")
        elif tag == _TAB:
            parts.append("\t")
        elif tag in (_BR, _CR):
            parts.append("\n")
        elif tag == _NO_BREAK_HYPHEN:
            parts.append("-")
        elif tag == _P:
            # A paragraph inside a text box: keep it apart from the surrounding run text.
            parts.append("\n")
        stack.append(iter(element))
    return "".join(parts)


def _table_lines(tbl: etree._Element) -> list[str]:
    lines = []
    for tr in tbl.iter(_TR):
        if tr.getparent() is not tbl:
            continue  # rows of nested tables are read as part of their cell
        cells = []
        for tc in tr.iter(_TC):
            if tc.getparent() is not tr:
                continue
            # A vertically merged continuation cell is empty, so merged text is not repeated.
            text = " ".join(" ".join(_paragraph_text(p).split()) for p in tc.iter(_P))
            text = " ".join(text.split())
            if text:
                cells.append(text)
        if cells:
            lines.append("\t".join(cells))
    return lines


def _block_elements(container: etree._Element) -> list[etree._Element]:
    blocks = []
    for element in container:
        if element.tag in (_P, _TBL):
            blocks.append(element)
        elif element.tag == _SDT:
            content = element.find(_SDT_CONTENT)
            if content is not None:
                blocks.extend(_block_elements(content))
    return blocks


def _style_name(p: etree._Element, document: Document) -> str:
    try:
        style = Paragraph(p, document._body).style
    except (KeyError, ValueError):
        return ""
    return (style.name or "").lower() if style is not None else ""


def read_docx(data: bytes, name: str, *, limits: ParserLimits = ParserLimits()) -> ExtractedText:
    """Read a .docx file's body: paragraphs as lines, table rows as tab-separated lines.

    :param data: the file's bytes.
    :param name: the file name, used in rejection reasons.
    :param limits: caps on the size and element count of the XML.
    :returns: the document text; ``title_hint`` from a Title-style paragraph, else the document properties.
    :raises DocumentRejected: corrupt or suspicious archive, XML over the limits, or no text.
    """
    _check_archive(data, name)
    _check_xml(data, name, limits)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        title: str | None = None
        heading_title: str | None = None
        for block in _block_elements(document.element.body):
            if block.tag == _TBL:
                lines.extend(_table_lines(block))
                continue
            text = _paragraph_text(block).strip()
            if not text:
                continue
            lines.extend(line.strip() for line in text.split("\n") if line.strip())
            if title is None or heading_title is None:
                style = _style_name(block, document)
                if title is None and style in _TITLE_STYLES:
                    title = " ".join(text.split())
                elif heading_title is None and style == "heading 1" and len(lines) <= 3:
                    heading_title = " ".join(text.split())
        core_title = (document.core_properties.title or "").strip() or None
    except DocumentRejected:
        raise
    except MemoryError as exc:
        raise ParseOutOfMemory(name) from exc
    except Exception as exc:  # python-docx raises many kinds (KeyError, lxml errors, PackageNotFoundError...)
        raise DocumentRejected(name, f"DOCX 文件内容已损坏，无法解析（{type(exc).__name__}）；请用 Word 或 WPS 重新保存后再上传。") from exc
    text = "\n".join(lines)
    if not text.strip():
        raise DocumentRejected(name, "DOCX 文件里没有文字内容（可能只有图片）；未启用 OCR，请上传含文字的文件。")
    return ExtractedText(
        text=text, source_format=SourceFormat.DOCX, encoding=None, title_hint=title or heading_title or core_title
    )
