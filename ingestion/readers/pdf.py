"""PDF files: the text layer, rebuilt into paragraphs.

pdfminer.six gives each text line with its position, so lines are joined back into paragraphs by layout as
well as by punctuation: a line continues into the next when it runs to the right margin, does not end a
sentence, and the next line is neither indented, in another font size, far below, nor a heading such as
``第十二条``/``一、``/``（一）``. Page numbers (``- 3 -``, ``第 3 页``) and running headers/footers repeated in
the page margins are dropped. The spaces that PDF layout puts between Chinese characters and digits
(``〔2022〕14 号``) are removed.

There is no OCR: a PDF whose pages are images ("scanned") is rejected, as is any PDF where some pages have
only images, since returning the other pages would silently lose text. A PDF with more pages than
:class:`~ingestion.readers.limits.ParserLimits` allows is rejected before its pages are read.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

import pypdf
from pdfminer.high_level import extract_pages
from pdfminer.layout import (
    LAParams,
    LTAnno,
    LTChar,
    LTComponent,
    LTContainer,
    LTImage,
    LTPage,
    LTTextContainer,
    LTTextLine,
)
from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

from ingestion.readers.limits import ParseOutOfMemory, ParserLimits
from ingestion.types import DocumentRejected, ExtractedText
from policy.formats import SourceFormat

# Share of the page height at the top and bottom where page numbers and running headers live.
MARGIN_BAND = 0.1
# A margin line repeated on at least this share of pages (and on 3 or more) is a running header/footer.
RUNNING_LINE_SHARE = 0.5
# An image covering at least this share of a page with no text marks the page as scanned.
SCANNED_IMAGE_SHARE = 0.05
# Text with more "(cid:N)" placeholders than this share of its characters has no usable character map.
MAX_CID_SHARE = 0.05

_CJK = "\u2e80-\u2fff\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_DIGIT_CJK_SPACE = re.compile(f"(?<=[0-9])[ \u00a0]+(?=[{_CJK}])|(?<=[{_CJK}])[ \u00a0]+(?=[0-9])")
_LETTER_SPACED = re.compile(f"[{_CJK}](?: [{_CJK}]){{2,}}")
_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－_]\s*\d{1,4}\s*[-—–－_]|\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|"
    r"\d{1,4}\s*/\s*\d{1,4}|[Pp]age\s*\d{1,4}(?:\s*of\s*\d{1,4})?)$"
)
_SENTENCE_END = re.compile(r"[。！？；：!?;:][”’」』）)]*$")
_HEADING_START = re.compile(
    r"^(?:第[一二三四五六七八九十百千零〇0-9]+[编章节条]|[一二三四五六七八九十百]+、|"
    r"[（(][一二三四五六七八九十百]+[）)]|[0-9]{1,3}[、.．](?![0-9])|[（(][0-9]{1,3}[）)]|附件|附表)"
)

_TOOL_TITLE = re.compile(r"^(?:Microsoft (?:Word|PowerPoint|Excel) - )|\.(?:docx?|wps|pdf|txt)$", re.IGNORECASE)

# pdfminer logs a warning for every odd font or object in real-world PDFs; problems that matter raise.
logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass(frozen=True)
class _Line:
    text: str
    x0: float
    x1: float
    y0: float
    y1: float
    size: float


@dataclass
class _Page:
    number: int
    height: float
    lines: list[_Line]
    scanned: bool


def _line_text(line: LTTextLine) -> str:
    """The line's text, without the spaces pdfminer invents next to Chinese characters."""
    items = [item for item in line if isinstance(item, (LTChar, LTAnno))]
    parts = []
    for index, item in enumerate(items):
        text = item.get_text()
        if isinstance(item, LTAnno) and text == " ":
            before = items[index - 1].get_text()[-1:] if index else ""
            after = items[index + 1].get_text()[:1] if index + 1 < len(items) else ""
            if _CJK_CHAR.match(before) or _CJK_CHAR.match(after):
                continue
        parts.append(text)
    text = "".join(parts).replace("\n", "").strip()
    text = _DIGIT_CJK_SPACE.sub("", text)
    return _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


def _image_area(item: LTComponent) -> float:
    if isinstance(item, LTImage):
        return float(item.width * item.height)
    if isinstance(item, LTContainer):
        return sum(_image_area(child) for child in item)
    return 0.0


def _read_page(page: LTPage, number: int) -> _Page:
    lines: list[_Line] = []
    image_area = 0.0
    for element in page:
        if isinstance(element, LTTextContainer):
            for line in element:
                if not isinstance(line, LTTextLine):
                    continue
                text = _line_text(line)
                if not text:
                    continue
                sizes = [char.size for char in line if isinstance(char, LTChar)]
                size = statistics.median(sizes) if sizes else line.height
                lines.append(_Line(text, line.x0, line.x1, line.y0, line.y1, size))
        else:
            image_area += _image_area(element)
    scanned = not lines and image_area >= SCANNED_IMAGE_SHARE * page.width * page.height
    return _Page(number, page.height, _visual_rows(lines), scanned)


def _visual_rows(lines: list[_Line]) -> list[_Line]:
    """Lines top to bottom; pieces of one visual row (table cells, label and value) joined left to right.

    pdfminer's text-box order can put a centred heading after the paragraph below it, so lines are
    re-sorted by position: official documents are set in one column.
    """
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda line: -line.y0):
        if rows and abs(rows[-1][0].y0 - line.y0) < 0.3 * max(line.size, 1.0):
            rows[-1].append(line)
        else:
            rows.append([line])
    joined = []
    for row in rows:
        row.sort(key=lambda line: line.x0)
        text = row[0].text
        for left, right in pairwise(row):
            text += ("\t" if right.x0 - left.x1 > 2 * max(left.size, 1.0) else " ") + right.text
        joined.append(
            _Line(text, row[0].x0, max(line.x1 for line in row), min(line.y0 for line in row),
                  max(line.y1 for line in row), row[0].size)
        )
    return joined


def _in_margin(line: _Line, page: _Page) -> bool:
    band = MARGIN_BAND * page.height
    return line.y0 <= band or line.y1 >= page.height - band


def _drop_page_furniture(pages: list[_Page]) -> None:
    """Remove page numbers and running headers/footers from the top and bottom margins."""
    def key(text: str) -> str:
        return re.sub(r"\d+", "#", text.replace(" ", ""))

    margin_counts = Counter(
        key(line.text) for page in pages for line in {candidate.text: candidate for candidate in page.lines if _in_margin(candidate, page)}.values()
    )
    repeated = {
        text for text, count in margin_counts.items() if count >= 3 and count >= RUNNING_LINE_SHARE * len(pages)
    }
    for page in pages:
        edge = {id(page.lines[0]), id(page.lines[-1])} if page.lines else set()
        page.lines = [
            line
            for line in page.lines
            if not (
                (_in_margin(line, page) or id(line) in edge)
                and (_PAGE_NUMBER.match(line.text.replace(" ", "")) or key(line.text) in repeated)
            )
        ]


def _text_edges(pages: list[_Page]) -> tuple[float, float]:
    """The left and right margins of the body text: where most long lines start and end."""
    lines = [line for page in pages for line in page.lines if len(line.text) >= 8]
    if not lines:
        return 0.0, 0.0
    starts = sorted(line.x0 for line in lines)
    ends = sorted(line.x1 for line in lines)
    return starts[int(0.1 * (len(starts) - 1))], ends[int(0.9 * (len(ends) - 1))]


def _continues(previous: _Line, line: _Line, edges: tuple[float, float], same_page: bool) -> bool:
    """Whether ``line`` carries on the paragraph that ``previous`` is part of."""
    if _SENTENCE_END.search(previous.text) or _HEADING_START.match(line.text):
        return False
    size = max(previous.size, 1.0)
    if abs(line.size - previous.size) > 0.15 * size:
        return False
    left_edge, right_edge = edges
    if previous.x1 < right_edge - 2.5 * size:  # the previous line stops short of the margin: paragraph end
        return False
    if previous.x0 > left_edge + 3 * size:  # a right-aligned line (date, signature) is a paragraph of its own
        return False
    centred = abs((line.x0 + line.x1) - (previous.x0 + previous.x1)) <= 0.6 * size and line.x1 < previous.x1 - size
    if line.x0 > previous.x0 + 0.8 * size and not centred:
        return False  # the new line is indented: a new paragraph (a centred title narrows on both sides)
    if same_page:
        gap = previous.y0 - line.y1
        if gap < -0.5 * size or gap > 1.6 * size:
            return False
    return True


def _joint(left: str, right: str) -> str:
    if left[-1:].isascii() and left[-1:].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return " "
    return ""


def _paragraphs(pages: list[_Page]) -> str:
    edges = _text_edges(pages)
    paragraphs: list[str] = []
    previous: _Line | None = None
    previous_page = -1
    for page in pages:
        for line in page.lines:
            if previous is not None and paragraphs and _continues(previous, line, edges, page.number == previous_page):
                paragraphs[-1] += _joint(paragraphs[-1], line.text) + line.text
            else:
                paragraphs.append(line.text)
            previous, previous_page = line, page.number
    return "\n".join(paragraphs)


def _contents_readable(page: pypdf.PageObject) -> bool:
    """False when the page names a content stream that is missing or does not decompress."""
    if "/Contents" not in page:
        return True  # a blank page
    contents = page.get_contents()
    if contents is None:
        return False
    contents.get_data()  # raises on a damaged stream
    return True


def _clean_title(title: str) -> str | None:
    """The Title property, without the "Microsoft Word - x.doc" form that conversion tools leave."""
    title = _TOOL_TITLE.sub("", " ".join(title.split())).strip()
    return title or None


def _check_openable(data: bytes, name: str, limits: ParserLimits) -> tuple[int, str | None]:
    """Reject encrypted, truncated, unparsable and overlong files; return the page count and the Title property."""
    if b"%%EOF" not in data[-4096:]:
        raise DocumentRejected(name, "PDF 文件不完整（缺少文件结尾标记），可能在下载或上传时被截断；请重新获取完整文件后再上传。")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and reader.decrypt("") == pypdf.PasswordType.NOT_DECRYPTED:
            raise DocumentRejected(name, "PDF 设置了打开密码，无法读取内容；请去除密码（或另存为未加密的 PDF）后再上传。")
        if len(reader.pages) > limits.pdf_max_pages:
            raise DocumentRejected(
                name,
                f"PDF 共 {len(reader.pages)} 页，超过上限 {limits.pdf_max_pages} 页（设置项 parser_pdf_max_pages），已拒绝处理；"
                "请拆分为几个文件后再上传。",
            )
        damaged = [str(number) for number, page in enumerate(reader.pages, 1) if not _contents_readable(page)]
        if damaged:
            raise DocumentRejected(
                name, f"PDF 文件已损坏：第 {'、'.join(damaged[:10])} 页的内容无法读取；请重新导出 PDF 后再上传。"
            )
        title = _clean_title(str((reader.metadata.title if reader.metadata else None) or ""))
        return len(reader.pages), title
    except DocumentRejected:
        raise
    except MemoryError as exc:
        raise ParseOutOfMemory(name) from exc
    except Exception as exc:  # pypdf raises PdfReadError, ValueError, KeyError... on damaged files
        raise DocumentRejected(name, f"PDF 文件已损坏或格式不正确，无法解析（{type(exc).__name__}）；请重新导出 PDF 后再上传。") from exc


def read_pdf(data: bytes, name: str, *, limits: ParserLimits = ParserLimits()) -> ExtractedText:
    """Read a PDF's text layer as paragraphs, one per line.

    :param data: the file's bytes.
    :param name: the file name, used in rejection reasons.
    :param limits: the most pages read.
    :returns: the document text; ``title_hint`` from the PDF's Title property.
    :raises DocumentRejected: encrypted, damaged, too many pages, scanned (no text layer) or unreadable font encoding.
    """
    page_count, title = _check_openable(data, name, limits)
    try:
        layout = extract_pages(io.BytesIO(data), laparams=LAParams())
        pages = [_read_page(page, number) for number, page in enumerate(layout, 1)]
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise DocumentRejected(name, "PDF 设置了打开密码或使用了不支持的加密方式，无法读取内容；请去除密码后再上传。") from exc
    except MemoryError as exc:
        raise ParseOutOfMemory(name) from exc
    except Exception as exc:  # pdfminer raises PDFSyntaxError, PSEOF, KeyError, struct.error... on damaged files
        raise DocumentRejected(name, f"PDF 文件已损坏或格式不正确，无法解析（{type(exc).__name__}）；请重新导出 PDF 后再上传。") from exc
    if len(pages) < page_count:
        raise DocumentRejected(name, f"PDF 文件已损坏：应有 {page_count} 页，只能读出 {len(pages)} 页；请重新导出 PDF 后再上传。")
    if not any(page.lines for page in pages):
        if any(page.scanned for page in pages):
            raise DocumentRejected(name, "PDF 没有文字层（可能是扫描件），未启用 OCR，无法提取文本；请上传文字版 PDF 或 DOCX。")
        raise DocumentRejected(name, "PDF 里没有任何文字内容（可能是空白页），无法提取文本。")
    scanned = [str(page.number) for page in pages if page.scanned]
    if scanned:
        raise DocumentRejected(
            name,
            f"PDF 第 {'、'.join(scanned)} 页没有文字层（可能是扫描页），未启用 OCR，无法完整提取文本；"
            "请上传完整的文字版 PDF 或 DOCX。",
        )
    _drop_page_furniture(pages)
    text = _paragraphs(pages)
    if text.count("(cid:") * 6 > MAX_CID_SHARE * len(text):
        raise DocumentRejected(name, "PDF 的字体缺少字符映射，提取出的文字是乱码；请用原文档重新导出 PDF（嵌入字体）或上传 DOCX。")
    return ExtractedText(text=text, source_format=SourceFormat.PDF, encoding=None, title_hint=title)

