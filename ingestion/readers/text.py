"""Plain text and Markdown files: encoding detection, binary-junk rejection, light Markdown clean-up.

Chinese government files come as UTF-8 (with or without BOM), UTF-16 with BOM (saved by Windows Notepad
as "Unicode") or GB18030/GBK (saved by older Windows tools). Encodings are tried strictly in that order;
a file that decodes under none of them, or decodes to mostly control characters, is rejected.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

from ingestion.types import DocumentRejected, ExtractedText
from policy.formats import SourceFormat, supported_formats_text

# Share of characters that must be ordinary printable text (letters, CJK, punctuation, whitespace).
MIN_PRINTABLE_RATIO = 0.95
# Of the CJK characters in a GB18030 decoding, the share that must also be in GB2312 (the common set);
# text in another double-byte encoding (Big5, Shift-JIS) decodes as GB18030 into rare characters.
MIN_GB2312_SHARE = 0.85

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BAD_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})
_ALLOWED_CONTROLS = frozenset("\n\r\t\f\v")


def normalize_text(text: str) -> str:
    """Line endings to ``\\n``, zero-width characters removed (they break search and citation matching)."""
    return _NEWLINES.sub("\n", text).translate(_INVISIBLE)


def _printable_ratio(text: str) -> float:
    if not text:
        return 1.0
    sample = text if len(text) <= 200_000 else text[:100_000] + text[-100_000:]
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd" or (ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in _BAD_CATEGORIES)
    )
    return 1.0 - bad / len(sample)


def _looks_like_gb2312_text(text: str) -> bool:
    cjk = _CJK.findall(text[:50_000])
    if not cjk:
        return True
    common = 0
    for ch in cjk:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(cjk) >= MIN_GB2312_SHARE


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode text bytes, returning ``(text, encoding)``; the text has ``\\n`` line endings.

    :param data: the file's bytes.
    :param name: the file name, used in the rejection reason.
    :returns: the decoded text and the name of the encoding that decoded it.
    :raises DocumentRejected: binary content or an encoding that cannot be recognised.
    """
    text: str | None = None
    encoding = ""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data[len(bom) :].decode(codec), codec
            except UnicodeDecodeError as exc:
                raise DocumentRejected(
                    name, f"文件开头标明是 {codec.upper()} 编码，但第 {exc.start} 字节处内容无法按此编码解码，文件可能已损坏，请重新导出后再上传。"
                ) from exc
            break
    if text is None:
        if b"\x00" in data:
            raise DocumentRejected(name, f"文件含有二进制内容（NUL 字节），不是文本文件；请上传 {supported_formats_text()} 文件。")
        for codec in ("utf-8", "gb18030"):
            try:
                candidate = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if codec == "gb18030" and not _looks_like_gb2312_text(candidate):
                continue
            text, encoding = candidate, codec
            break
    if text is None:
        best = charset_normalizer.from_bytes(data[:1_000_000]).best()
        if best is not None and best.encoding:
            try:
                text, encoding = data.decode(best.encoding), best.encoding
            except (UnicodeDecodeError, LookupError):
                text = None
    if text is None:
        raise DocumentRejected(name, "无法识别文件的文字编码（已尝试 UTF-8、UTF-16、GB18030），请另存为 UTF-8 编码后再上传。")
    if _printable_ratio(text) < MIN_PRINTABLE_RATIO:
        raise DocumentRejected(name, "文件内容大部分是不可打印字符，看起来是二进制数据而不是文本；请确认文件类型后重新上传。")
    return normalize_text(text), encoding


def read_text(data: bytes, name: str) -> ExtractedText:
    """Read a plain-text file."""
    text, encoding = decode_bytes(data, name)
    _require_content(text, name)
    return ExtractedText(text=text, source_format=SourceFormat.TXT, encoding=encoding)


# --- Markdown -------------------------------------------------------------------------------------------

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_HEADING = re.compile(r"^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$", re.MULTILINE)
_URL = r"\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\)"  # allows one level of parentheses in the URL
_IMAGE = re.compile(r"!\[([^\]]*)\]" + _URL)
_LINK = re.compile(r"\[([^\]]*)\]" + _URL)
_EMPHASIS = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_CODE = re.compile(r"`([^`\n]+)`")
_RULE = re.compile(r"^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$", re.MULTILINE)
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*(?:\n|\Z)", re.MULTILINE)
_TABLE_ROW = re.compile(r"^[ \t]*\|(.*)\|[ \t]*$", re.MULTILINE)
_QUOTE = re.compile(r"^[ \t]*>[ \t]?", re.MULTILINE)
_BULLET = re.compile(r"^[ \t]*[*+-][ \t]+", re.MULTILINE)
_JINA_HEADER = re.compile(r"\ATitle:[ \t]*(?P<title>.*)\n(?:.*\n)*?Markdown Content:\n", re.MULTILINE)


def _markdown_to_text(markdown: str) -> tuple[str, str | None]:
    title: str | None = None
    jina = _JINA_HEADER.match(markdown)  # pages saved by the Jina reader carry a Title/URL header block
    if jina:
        title = jina.group("title").strip() or None
        markdown = markdown[jina.end() :]
    text = _COMMENT.sub("", markdown)
    text = _QUOTE.sub("", text)
    text = _RULE.sub("", text)
    text = _BULLET.sub("", text)
    for match in _HEADING.finditer(text):
        if match.group(1) == "#" and title is None:
            title = match.group(2).strip() or None
            break
    text = _HEADING.sub(lambda m: m.group(2), text)
    text = _TABLE_RULE.sub("", text)
    text = _TABLE_ROW.sub(lambda m: "\t".join(cell.strip() for cell in m.group(1).split("|")), text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _EMPHASIS.sub(lambda m: m.group(2), text)
    text = _CODE.sub(lambda m: m.group(1), text)
    text = re.sub(r"\n{3,}", "\n\n", text).strip("\n")
    return text, title


def read_markdown(data: bytes, name: str) -> ExtractedText:
    """Read a Markdown file: headings become plain lines, links/emphasis keep their text, comments go."""
    raw, encoding = decode_bytes(data, name)
    text, title = _markdown_to_text(raw)
    _require_content(text, name)
    return ExtractedText(text=text, source_format=SourceFormat.MD, encoding=encoding, title_hint=title)


def _require_content(text: str, name: str) -> None:
    if not text.strip():
        raise DocumentRejected(name, "文件里没有任何文字内容（只有空白），请检查文件后重新上传。")
