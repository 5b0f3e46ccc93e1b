"""The document's title: a container's hint, a labelled field, a Markdown heading, its first lines, or its file name."""

from __future__ import annotations

import re

from ingestion.metadata.chinese_dates import DATE_RE
from ingestion.metadata.doc_numbers import BRACKET_NUMBER_RE, number_from_match
from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Line, Span, span_of
from ingestion.metadata.organs import is_organ, join_pieces
from ingestion.metadata.patterns import (
    CJK,
    FIELD_LABEL_RE,
    HEAD_CHARS,
    SENTENCE_PUNCT_RE,
    STRIP,
    TITLE_END_RE,
    TITLE_VERB_RE,
)

_CHROME_RE = re.compile(
    r"^(?:【法宝引证码】|原文链接|https?://|www\.|当前位置|您现在的位置|您所在的位置|您当前所在的位置|首页\s*[>＞]|【字体|字体[:：]|关注\s*·|"
    r"索\s*引\s*号|主题分类|分享|打印|关闭|来源[:：]|发布(?:日期|时间|机构)|Title:|URL Source:|Markdown Content:|"
    r"-\s*-\s*-|[（(]此件|附件|扫一扫|【(?:字体|打印|关闭|音频解读|图解|视频解读|法宝)|!\[|\*|<!--|时\s*效\s*性|备案登记号|废止日期|标\s*题|文\s*号|成文日期|发文机关|"
    r"信息来源|浏览次数|访问量|责任编辑|字号|无障碍|繁体|简体|登录|注册|搜索|网站|政务公开|政府信息公开)"
)
_BODY_OPENINGS = ("各", "为", "根据", "按照", "近日", "日前", "据", "经", "现将", "本报", "记者")
_LEADING_NUMBER_RE = re.compile(rf"^[{CJK}]{{1,12}}[〔\[［（(]\d{{4}}[〕\]］）)]第?\d{{1,5}}号[ \t\u3000]*[-—－]?[ \t\u3000]*(?=[{CJK}])")
# A press headline about a document (浙江省委省政府出台…意见) printed above the document's own title.
_REPORTING_HEADLINE_RE = re.compile(r"出台|发布|印发|公布")
_NUMBERED_RE = re.compile(r"^(?:第[一二三四五六七八九十百]+[条章节]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|[①-⑳])")
_EXPLAINED_TITLE_RE = re.compile(r"《(?P<t>[^《》\n]{6,120})》(?:的)?(?:政策)?解读")
_TITLE_LABEL_RE = re.compile(r"(?:^|\n)[ \t\u3000]*(?:标\s*题|文件名称|名\s*称|Title)\s*[:：]\s*(?P<v>[^\n]{4,200})")
_SITE_SUFFIX_RE = re.compile(r"\s*(?:[-_|｜－—]{1,2}|——)\s*[^-_|｜－—]*(?:网|网站|门户|平台|政府|人民政府|首页|官网)[^-_|｜－—]*$")
_TITLE_NOISE_RE = re.compile(r"^(?:[（(]转载[)）]|【[^】]{1,12}】|\[[^\]]{1,12}\])\s*")
_SITE_NAME_LINE_RE = re.compile(r"\s*(?:[-_|｜－—]{1,2})\s*[^-_|｜－—\s]{2,30}(?:网站|网|官网|平台|首页)\s*$")
_SOURCE_LINE_RE = re.compile(r"(?:-->|->|>>|→)\s*$")  # a breadcrumb or source line: 广州市人力资源和社会保障局 -->
_OPENING_NUMBER_RE = re.compile(r"^(?:第[一二三四五六七八九十百]+[条章节]|[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])[ \t\u3000]*")
_ANNOUNCES_RE = re.compile(r"现(?:就|将)[^。]{0,30}?(?P<kind>通知|通告|公告)如下")
_GENERIC_TITLES = frozenset({"通知公告", "政策文件", "正文", "首页", "详情", "文章详情", "政策法规", "信息公开", "新闻动态", "通知", "公告"})


def find_title(doc: Document, hint: str | None, record: re.Match[str] | None) -> Found | None:
    text = doc.text
    if hint:
        cleaned = _clean_title(_SITE_SUFFIX_RE.sub("", hint.strip()))
        if _plausible_title(cleaned):
            return Found(cleaned, span_of(text, cleaned, 0, 20000))
    if record:
        value = _clean_title(record.group("t"))
        return Found(value, span_of(text, value, *record.span("t")))
    if doc.markdown_heading:
        return _markdown_title(text, doc.markdown_heading)
    label = _TITLE_LABEL_RE.search(text, 0, HEAD_CHARS)
    if label:
        raw = FIELD_LABEL_RE.split(label.group("v"), maxsplit=1)[0]
        value = _clean_title(raw)
        if _plausible_title(value):
            return Found(value, span_of(text, value, label.start("v"), label.end("v")))
    found = _title_from_lines(doc)
    if found:
        return found
    stem = doc.file_stem
    if stem and _plausible_title(stem) and TITLE_END_RE.search(stem):
        return Found(stem, span_of(text, stem, 0, HEAD_CHARS))
    return None


def _clean_title(s: str) -> str:
    s = _LEADING_NUMBER_RE.sub("", s.strip(STRIP))
    while True:
        t = _TITLE_NOISE_RE.sub("", s)
        if t == s:
            break
        s = t
    if s.startswith("《") and s.endswith("》") and s.count("《") == 1:
        s = s[1:-1]
    elif s.startswith("《") and "》" in s:
        inner, _, rest = s[1:].partition("》")
        if not rest.strip() or BRACKET_NUMBER_RE.fullmatch(rest.strip()):
            s = inner
    return s.strip(STRIP)


def _markdown_title(text: str, heading: re.Match[str]) -> Found:
    value = _clean_title(heading.group("t"))
    return Found(value, span_of(text, value, heading.start("t"), heading.end("t")))


def _plausible_title(s: str) -> bool:
    if not 4 <= len(s) <= 200 or s in _GENERIC_TITLES or "..." in s or "…" in s[-2:]:
        return False
    return len(re.findall(rf"[{CJK}]", s)) >= 4


def _title_from_lines(doc: Document) -> Found | None:
    lines = doc.head_lines
    stem = doc.file_stem
    candidates = [
        _without_trailing_number(doc.text, _without_site_name(ln))
        for ln in lines[:40]
        if not _CHROME_RE.match(ln.text) and not _SOURCE_LINE_RE.search(ln.text)
    ]
    if stem:  # the file's own name printed as a line is the title
        for ln in candidates[:20]:
            if _clean_title(ln.text) == stem:
                return _title_found(doc, ln.start, ln.end)
    if doc.flat:
        return _title_from_segments(doc, candidates)
    if len(candidates) > 1 and candidates[0].text == candidates[1].text and 4 <= len(candidates[0].text) <= 80:
        return _title_found(doc, candidates[0].start, candidates[0].end)  # a page heading printed twice
    for i, ln in enumerate(candidates[:12]):
        line = ln.text
        if _is_number_or_date_line(line):
            continue
        if "。" in line and not re.search(r"印发|转发|发布|公布", line):
            break  # body text reached: later short lines are section headings, not the title
        # Organ lines (a joint letterhead may take several) followed by a 关于… line: one title.
        if is_organ(line):
            j = i
            while j + 1 < len(candidates) and is_organ(candidates[j + 1].text):
                j += 1
            if j + 1 < len(candidates) and candidates[j + 1].text.startswith("关于"):
                joined = _join_title(candidates, j + 1)
                if joined is not None:
                    return _title_found(doc, ln.start, joined)
        if _looks_like_title(line):
            return _title_found(doc, ln.start, ln.end)
        if "关于" in line and not SENTENCE_PUNCT_RE.search(line) and len(line) <= 80:
            joined = _join_title(candidates, i)
            if joined is not None:
                return _title_found(doc, ln.start, joined)
        if _title_fragment(line) and i + 1 < len(candidates):
            nxt = candidates[i + 1].text
            if len(nxt) <= 40 and not SENTENCE_PUNCT_RE.search(nxt) and TITLE_END_RE.search(nxt):
                return _title_found(doc, ln.start, candidates[i + 1].end)
    if candidates and _headline(candidates[0].text):
        return _title_found(doc, candidates[0].start, candidates[0].end)
    explained = _EXPLAINED_TITLE_RE.search(doc.text, 0, HEAD_CHARS)
    if explained:
        value = _clean_title(explained.group("t"))
        return Found(value, Span(explained.start("t"), explained.end("t")))
    return None


def _title_fragment(line: str) -> bool:
    """The first line of a title broken over two lines: short, no punctuation, not an organ or a number."""
    return (
        4 <= len(line) <= 40
        and not SENTENCE_PUNCT_RE.search(line)
        and not is_organ(line)
        and not _NUMBERED_RE.match(line)
        and not DATE_RE.search(line)
        and not BRACKET_NUMBER_RE.search(line)
    )


def _headline(line: str) -> bool:
    """A news or explainer headline opening the text (``电子居住证如何申领？一文说清``)."""
    return (
        5 <= len(line) <= 60
        and not re.search(r"[。；]|[：:,，]$", line)
        and not _NUMBERED_RE.match(line)
        and not line.startswith(_BODY_OPENINGS)
        and not is_organ(line)
        and not DATE_RE.match(line)
    )


def _title_from_segments(doc: Document, segments: list[Line]) -> Found | None:
    """Single-line texts: the title is the opening segment, joined with the next ones when a 关于… title
    (or an organ name followed by one) is split by spaces."""
    while segments and _is_number_or_date_line(segments[0].text):
        segments = segments[1:]
    if not segments:
        return None
    first = 0
    while first < len(segments) - 1 and is_organ(segments[first].text) and not TITLE_VERB_RE.search(segments[first].text):
        if not TITLE_VERB_RE.search(segments[first + 1].text) and not is_organ(segments[first + 1].text):
            break
        first += 1
    official = _official_title_below_headline(doc, segments)
    if official is not None:
        return official
    head = segments[first].text
    verb = TITLE_VERB_RE.search(head)
    if verb and (first > 0 or not TITLE_END_RE.search(head)):
        joined = _join_title(segments, first)
        if joined is not None:
            own_organ = head[: verb.start()]
            if own_organ and any(own_organ in seg.text for seg in segments[:first]):
                return _title_found(doc, segments[first].start, joined)
            # A run of organ names printed twice (letterhead, then title): keep the second copy.
            organs = [seg.text for seg in segments[:first]]
            begin = max((k for k in range(len(organs)) if organs[k] == organs[0]), default=0)
            return _title_found(doc, segments[begin].start, joined)
        if first == 0 and len(segments) > 1 and segments[1].text.startswith(head) and TITLE_END_RE.search(segments[1].text):
            return _title_found(doc, segments[1].start, segments[1].end)
    line = segments[0].text
    if 4 <= len(line) <= 100 and not re.search(r"[。；]|[：:]$", line) and not line.startswith(_BODY_OPENINGS):
        return _title_found(doc, segments[0].start, segments[0].end)
    return None


def _without_trailing_number(text: str, line: Line) -> Line:
    """A title line with its document number glued to its end (``…的通知人社部发〔2020〕11号``) cut before it."""
    if not line.text.endswith("号"):
        return line
    m = BRACKET_NUMBER_RE.search(line.text[-30:])
    if not m or m.end() != len(line.text[-30:]):
        return line
    offset = line.start + len(line.text[-30:][: m.start()]) + (len(line.text) - min(len(line.text), 30))
    number = number_from_match(text, BRACKET_NUMBER_RE.match(text, offset) or m)
    if number is None or number[0] - line.start < 4:
        return line
    end = number[0]
    return Line(line.start, end, text[line.start : end].rstrip(STRIP))


def _join_title(lines: list[Line], first: int) -> int | None:
    """End offset of a title that starts on ``lines[first]`` and ends in a document type within 3 lines."""
    for j in range(first, min(first + 4, len(lines))):
        part = lines[j].text
        if j > first and (SENTENCE_PUNCT_RE.search(part) or len(part) > 60 or part.startswith("关于")):
            return None
        if TITLE_END_RE.search(part):
            return lines[j].end
    return None


def _looks_like_title(line: str) -> bool:
    if len(line) < 5 or len(line) > 120:
        return False
    if re.search(r"[，。；！？]", line) or line.endswith(("：", ":")):
        return False
    if BRACKET_NUMBER_RE.fullmatch(line) or _NUMBERED_RE.match(line):
        return False
    return bool(TITLE_END_RE.search(_clean_title(line)))


def _is_number_or_date_line(line: str) -> bool:
    core = line.strip("()（）[]【】 ")
    return bool(BRACKET_NUMBER_RE.fullmatch(core) or DATE_RE.fullmatch(core) or re.fullmatch(r"[A-Za-z0-9\-/]{6,}", core))


def _title_found(doc: Document, start: int, end: int) -> Found | None:
    raw = doc.text[start:end]
    value = _clean_title(join_pieces(raw))
    if len(re.findall(rf"[{CJK}]", value)) < 2:
        return None
    if value in raw:
        at = raw.find(value)
        if at >= 0:
            return Found(value, Span(start + at, start + at + len(value)))
    return Found(value, Span(start, end))


def _official_title_below_headline(doc: Document, segments: list[Line]) -> Found | None:
    """``浙江省委省政府出台…30条意见 中共浙江省委 浙江省人民政府 关于…的若干意见 （2020年2月10日）``: the
    document's own title (organs, then a 关于… title) under a headline that reports it."""
    head = segments[0].text
    if head.startswith("关于") or not _REPORTING_HEADLINE_RE.search(head) or TITLE_VERB_RE.search(head):
        return None
    for i in range(1, min(len(segments), 6)):
        if not segments[i].text.startswith("关于"):
            if is_organ(segments[i].text):
                continue
            return None
        end = _join_title(segments, i)
        if end is None:
            return None
        first = i
        while first > 1 and is_organ(segments[first - 1].text):
            first -= 1
        return _title_found(doc, segments[first].start, end)
    return None


def _without_site_name(line: Line) -> Line:
    """A page-title line without its site name: ``…清单 - 广州市人民政府门户网站``."""
    m = _SITE_NAME_LINE_RE.search(line.text)
    if not m or m.start() < 4:
        return line
    return Line(line.start, line.start + m.start(), line.text[: m.start()])


def fallback_title(doc: Document, issuer: str | None) -> Found | None:
    """A title for a text that prints none: its first heading (without its number), else the issuer and the kind
    of notice it announces (…现就有关事项通告如下 → 广州市医疗保险服务中心通告), else its first clause."""
    for line in doc.head_lines[:8]:
        if _CHROME_RE.match(line.text) or _SOURCE_LINE_RE.search(line.text):
            continue
        core = _OPENING_NUMBER_RE.sub("", line.text)
        if 4 <= len(core) <= 40 and not re.match(r"第[一二三四五六七八九十百]+条", line.text) and not re.search(r"[，。；：:,]", core) and not DATE_RE.search(core):
            start = line.end - len(core)
            return Found(core, Span(start, line.end))
        break
    announces = _ANNOUNCES_RE.search(doc.text, 0, HEAD_CHARS)
    if issuer and announces:
        return Found(f"{issuer}{announces.group('kind')}")
    first = next((ln for ln in doc.head_lines if not _CHROME_RE.match(ln.text) and not _SOURCE_LINE_RE.search(ln.text)), None)
    if first is None:
        return None
    body = _OPENING_NUMBER_RE.sub("", first.text)
    clause = re.split(r"[，。；：:,;]", body, maxsplit=1)[0].strip(STRIP)
    if len(re.findall(rf"[{CJK}]", clause)) < 4 or clause.startswith(_BODY_OPENINGS) or "《" in clause:
        return None  # 为贯彻落实《…》… says why, not what: no title rather than a wrong one
    value = clause if len(clause) <= 30 else clause[:30] + "…"
    start = first.end - len(body)
    return Found(value, Span(start, start + len(clause)) if len(clause) <= 30 else None)
