"""A document's outline from its own structure (not from its chunks): every 编/章/节/条 of a law or regulation,
or the 一、/（一） headings of a notice, with the offset where each starts.

    >>> [e.label for e in document_outline("第一章 总则\\n第一条 为了……\\n第二条 本法……")]
    ['第一章', '第一条', '第二条']
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "[零〇一二三四五六七八九十百千两]+"
# A heading starts a line (or, in a text flattened to one line, follows a space or a sentence end).
_LINE_START = r"(?:(?<=\n)|^|(?<=[ \t\u3000。；]))[ \t\u3000#>*]*"
_PART_RE = re.compile(rf"{_LINE_START}(?P<label>第(?P<n>{_NUMERAL})(?P<unit>编|章|节))[ \t\u3000]*(?P<title>[^\n。；]{{0,40}})", re.M)
_ARTICLE_RE = re.compile(rf"{_LINE_START}(?P<label>第(?P<n>{_NUMERAL})条(?:之(?P<sub>{_NUMERAL}))?)(?=[ \t\u3000　]|[^\n，。、的规])", re.M)
_ITEM_RE = re.compile(rf"{_LINE_START}(?P<label>(?P<n>[一二三四五六七八九十]+)、|[（(](?P<sub>[一二三四五六七八九十]+)[)）])(?P<title>[^\n]{{1,60}})", re.M)
_LEVELS = {"编": 0, "章": 1, "节": 2, "条": 3}
_ARTICLE_TITLE_CHARS = 24


@dataclass(frozen=True)
class OutlineEntry:
    label: str  # 第三章, 第十二条, 一、, （二）
    title: str  # the heading's words; for an article, its opening words
    level: int  # 0 for the outermost kind of heading the document has
    offset: int  # where the heading starts in the text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def cn_number(numeral: str) -> int:
    """一 → 1, 十二 → 12, 二百一十八 → 218, 一千零一 → 1001 (0 for anything else)."""
    total, digit = 0, 0
    for char in numeral:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
        else:
            return 0
    return total + digit


def document_outline(text: str) -> list[OutlineEntry]:
    """Every 编/章/节/条 in text order; for a text without articles, its 一、 and （一） headings."""
    raw: list[tuple[int, int, str, str]] = []  # (offset, kind level, label, title)
    last_part: dict[str, int] = {}
    for m in _PART_RE.finditer(text):
        number, unit = cn_number(m.group("n")), m.group("unit")
        if number <= last_part.get(unit, 0) and unit != "节":
            continue  # a cross-reference (依照第三章…) or a table of contents repeated
        last_part[unit] = number
        raw.append((m.start("label"), _LEVELS[unit], m.group("label"), m.group("title").strip(" \t\u3000")))
    last_article = 0.0
    for m in _ARTICLE_RE.finditer(text):
        article = cn_number(m.group("n")) + (cn_number(m.group("sub")) / 100 if m.group("sub") else 0)
        if article <= last_article:
            continue  # 依照本法第十条 at a line start, or a quoted article
        last_article = article
        raw.append((m.start("label"), _LEVELS["条"], m.group("label"), _opening(text, m.end("label"))))
    if not any(level == _LEVELS["条"] for _, level, _, _ in raw):
        raw += _notice_headings(text, flat=text.count("\n") < 3)
    raw.sort()
    depth = {level: rank for rank, level in enumerate(sorted({level for _, level, _, _ in raw}))}
    return [OutlineEntry(label, title, depth[level], offset) for offset, level, label, title in raw]


def _notice_headings(text: str, *, flat: bool) -> list[tuple[int, int, str, str]]:
    out = []
    expected = {"item": 1}
    for m in _ITEM_RE.finditer(text):
        title = re.split(r"[。；]" + (r"|\s" if flat else ""), m.group("title"), maxsplit=1)[0].strip(" \t\u3000")
        if m.group("n"):
            number = cn_number(m.group("n"))
            if number != expected["item"]:
                continue  # numbered lines of a list inside a heading, or a restart in an attachment
            expected["item"] = number + 1
            out.append((m.start("label"), 10, m.group("label"), title[:40]))
        elif out:
            out.append((m.start("label"), 11, m.group("label"), title[:40]))
    if len(out) == 1 and expected["item"] == 2:
        return []  # a lone 一、 is not a structure
    return out


def _opening(text: str, start: int) -> str:
    """An article's opening words, for the outline (第三条 本办法所称中小企业，是指… → 本办法所称中小企业)."""
    body = text[start : start + 80].lstrip(" \t\u3000")
    first = re.split(r"[，。；：\n]", body, maxsplit=1)[0]
    return first if len(first) <= _ARTICLE_TITLE_CHARS else first[:_ARTICLE_TITLE_CHARS] + "…"
