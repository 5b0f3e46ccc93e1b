"""The document's own number (发文字号): 穗府办规〔2024〕3号, 国务院令第732号, 国家税务总局公告2023年第1号."""

from __future__ import annotations

import re

from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Span
from ingestion.metadata.patterns import CJK, CN_SMALL, STRIP, TITLE_END_RE, WS

# 发文字号: X〔2020〕12号 with any bracket pair, 令第N号, …公告2020年第9号.
BRACKET_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{CJK}]{{1,16}})[ \t\u3000]*[〔\[［（(【﹝](?P<year>\d{{4}})[〕\]］）)】﹞][ \t\u3000]*"
    r"(?P<no>第?[ \t\u3000]*\d{1,5})[ \t\u3000]*号"
)
_ORDER_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{CJK}]{{1,40}}?令)\s*(?P<no>第[ \t\u3000]*(?:\d{{1,4}}|[{CN_SMALL}百零〇]{{1,6}})|\d{{1,4}})[ \t\u3000]*号"
)
_NOTICE_NUMBER_RE = re.compile(
    rf"(?P<prefix>[{CJK}]{{2,30}}(?:[ 、\u3000][{CJK}]{{2,30}}){{0,4}}公告)[ \t\u3000]*(?P<year>\d{{4}})[ \t\u3000]*年[ \t\u3000]*"
    r"第[ \t\u3000]*(?P<no>\d{1,4})[ \t\u3000]*号"
)
# The fixed ends of the three number shapes: found first, then the full pattern is matched just before them.
_NUMBER_TAIL_RE = re.compile(
    r"[〔\[［（(【﹝]\d{4}[〕\]］）)】﹞][ \t\u3000]*第?[ \t\u3000]*\d{1,5}[ \t\u3000]*号"
    r"|公告[ \t\u3000]*\d{4}[ \t\u3000]*年[ \t\u3000]*第[ \t\u3000]*\d{1,4}[ \t\u3000]*号"
    rf"|令\s*(?:第[ \t\u3000]*(?:\d{{1,4}}|[{CN_SMALL}百零〇]{{1,6}})|\d{{1,4}})[ \t\u3000]*号"
)
# A number's prefix ends the title it is glued to: keep only what follows the last of these.
_ORDER_PREFIX_CUT_RE = re.compile(r".*(?:通知|意见|办法|决定|通告|公告|方案|规定|细则|批复|条例|报告|的|根据|按照|依据|转发|印发)")
# A 〔〕 number's prefix is an abbreviation (穗府办规): an organ's full name before it is a letterhead too.
_PREFIX_CUT_RE = re.compile(_ORDER_PREFIX_CUT_RE.pattern + r"|.*(?:文号|字号|文件|人民政府|办公厅|办公室|委员会|是指)")
_CITING_WORDS_RE = re.compile(r"根据|按照|依据|依照|落实|贯彻|参照|遵照|对照|执行|详见|参见|见|经|延续|对|《")
_CITED_AFTER_RE = re.compile(r"^[)）\]］〕》 \t\u3000]*(?:精神|要求|规定|文件|通知|印发|的|等|和|及|、|《|，|有关|第)")
_NUMBER_LABEL_RE = re.compile(r"(?:发文字号|文\s*号|发文号|文件编号)\s*[:：]?\s*$")
_NUMBER_ZONE = 400


def normalize_doc_number(number: str) -> str:
    """Brackets around the year to 〔〕 and no whitespace around its parts: 内政办发[2023]5号 → 内政办发〔2023〕5号."""
    number = re.sub(r"[ \t\u3000]*[\[［（(【〔﹝][ \t\u3000]*(\d{4})[ \t\u3000]*[\]］）)】〕﹞][ \t\u3000]*", r"〔\1〕", number)
    number = re.sub(r"[ \t\u3000]*(第)?[ \t\u3000]*(\d+)[ \t\u3000]*号$", r"\1\2号", number)
    number = re.sub(r"公告[ \t\u3000]*(\d{4})[ \t\u3000]*年", r"公告\1年", number)
    return re.sub(r"(\d{4})[ \t\u3000]*年[ \t\u3000]*第", r"\1年第", number).strip()


def find_doc_number(doc: Document, title: Found | None) -> Found | None:
    if doc.law_events:
        return _law_order_number(doc)
    text = doc.text
    zones = [(0, min(len(text), _NUMBER_ZONE))]
    if title and title.span and title.span.end > _NUMBER_ZONE - 60:
        zones.append((title.span.end, min(len(text), title.span.end + 200)))
    candidates: list[tuple[int, int, int, str]] = []  # (rank, start, end, value)
    for zs, ze in zones:
        for m in _number_matches(text, zs, ze):
            number = number_from_match(text, m)
            if number is None:
                continue
            start, end, value = number
            if _is_cited(text, start, end, doc.flat):
                continue
            labelled = _NUMBER_LABEL_RE.search(text, max(0, start - 12), start) is not None
            alone = _stands_alone(text, start, end)
            candidates.append((0 if labelled else 1 if alone else 2, start, end, value))
    if not candidates:
        return None
    _, start, end, value = min(candidates)
    return Found(value, Span(start, end))


def _number_matches(text: str, start: int, end: int) -> list[re.Match[str]]:
    """Document-number matches whose prefix starts in [start, end)."""
    out = []
    for tail in _NUMBER_TAIL_RE.finditer(text, start, min(len(text), end + 60)):
        pattern = (
            _NOTICE_NUMBER_RE if tail.group().startswith("公告")
            else _ORDER_NUMBER_RE if tail.group().startswith("令")
            else BRACKET_NUMBER_RE
        )
        window = max(0, tail.start() - 45)
        match = next((m for m in pattern.finditer(text, window, tail.end()) if m.end() == tail.end()), None)
        if match is not None and start <= match.end("prefix") and match.start("prefix") < end:
            out.append(match)
    return out


def number_from_match(text: str, m: re.Match[str]) -> tuple[int, int, str] | None:
    prefix = m.group("prefix")
    if prefix[0] in "年月日号" and m.start("prefix") > 0 and text[m.start("prefix") - 1].isdigit():
        prefix = prefix[1:]  # 2021年7月27日国务院令… : the 日 belongs to the date
    if m.re is _NOTICE_NUMBER_RE:
        body = prefix[: -len("公告")]
        head = re.match(r".*(?:的|》|）|\)|公告|通知)", body)
        if head:
            prefix = prefix[head.end() :].strip(STRIP)
        if len(prefix) < 4:
            return None
    else:
        own_notice = prefix.endswith("公告")  # 中国人民银行公告〔2019〕第16号
        cut_re = _ORDER_PREFIX_CUT_RE if m.re is _ORDER_NUMBER_RE else _PREFIX_CUT_RE
        cut = cut_re.match(prefix[:-2] if own_notice else prefix)
        if cut and (cut.end() < len(prefix)):
            prefix = prefix[cut.end() :]
        elif cut:
            return None
        if not prefix:
            return None
    if m.re is _ORDER_NUMBER_RE and not re.search(r"(?:政府|院|部|委|局|署|会|主席|行|厅|办)令$", prefix):
        return None
    if m.re is BRACKET_NUMBER_RE and (len(prefix) > 12 or re.search(r"年|月|日|第|号", prefix)):
        return None
    start = m.end("prefix") - len(prefix)
    value = normalize_doc_number(text[start : m.end()])
    return start, m.end(), value


def _is_cited(text: str, start: int, end: int, flat: bool) -> bool:
    after = text[end : end + 8]
    if _CITED_AFTER_RE.match(after):
        return True
    before = text[max(0, start - 80) : start]
    clause_start = max(before.rfind(c) for c in "。；，,：:\n") + 1
    clause = before[clause_start:]
    if flat:
        parts = re.split(rf"[{WS}]+", clause)
        clause = parts[-1] if parts else ""
    stripped = before.rstrip(" \t\u3000")
    if stripped.endswith(("（", "(", "[", "［")):
        # In brackets after other text on the same line: a citation (《…》（…号）), unless the text is the
        # document's own title (…的通知（东建〔2022〕4号）).
        prev = stripped[:-1].rstrip(" \t\u3000")
        if prev and prev[-1] != "\n" and not (flat and stripped[:-1] != prev):
            title_like = TITLE_END_RE.search(prev) and not _CITING_WORDS_RE.search(clause.replace("《", "").replace("》", ""))
            return not title_like or prev.endswith("》")
        return False
    return _CITING_WORDS_RE.search(clause) is not None


def _stands_alone(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 3) : start].rstrip(" \t\u3000（([【")
    after = text[end : end + 3].lstrip(" \t\u3000）)]】")
    return (not before or before[-1] in "\n") and (not after or after[0] in "\r\n")


def _law_order_number(doc: Document) -> Found | None:
    latest = [ev for ev in doc.law_events if ev.kind != "施行"]
    if not latest:
        return None
    event = latest[-1]
    if doc.file_date and event.day != doc.file_date:
        return None
    m = _ORDER_NUMBER_RE.search(doc.text, event.start, event.end)
    if not m:
        return None
    number = number_from_match(doc.text, m)
    if number is None:
        return None
    start, end, value = number
    return Found(value, Span(start, end))
