"""When a document is in force: its effective and expiry dates (自…起施行, 有效期N年, …废止) and its validity on a day."""

from __future__ import annotations

import re
from datetime import date, timedelta

from ingestion.metadata.chinese_dates import cn_small_number
from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Span
from ingestion.metadata.patterns import CN_SMALL, DOC_TYPE, HEAD_CHARS, STRIP
from policy.types import PolicyMetadata, ValidityStatus, current_status


_OWN_DOC_RE = re.compile(
    rf"本(?:{DOC_TYPE}|文件|政策|实施细则|实施办法|实施方案|若干措施|管理办法|规范性文件|法规|规章)"
)
_EFFECTIVE_FROM_RE = re.compile(
    r"自(?P<when>发布|印发|公布|颁布|发文|下发|签发|公告|通告|发出)之日起?(?:[ \t\u3000]*(?:施行|执行|实施|生效))"
)
_EFFECTIVE_DATE_SUFFIX_RE = re.compile(r"^[ \t\u3000]*(?:起|开始)[ \t\u3000]*(?:施行|执行|实施|生效|试行)")
_VALID_FOR_RE = re.compile(
    rf"(?:有效期|试行期|实施期|执行期)(?:限)?(?:为|是)?[ \t\u3000]*(?P<n>\d{{1,2}}|[{CN_SMALL}两]{{1,2}})[ \t\u3000]*(?P<unit>年|个月)"
)
_VALID_UNTIL_RE = re.compile(r"(?:有效期|执行期|试行期|实施期)(?:限)?(?:至|到|截至|截止到|截止至|截止)[ \t\u3000]*$")
_EXPIRES_SUFFIX_RE = re.compile(r"^[ \t\u3000]*(?:起)?(?:废止|失效|停止执行|停止施行|自行废止|自动失效)")
_STATUS_FIELD_RE = re.compile(r"(?:时\s*效\s*性|效力状态|时效状态)\s*[:：]?\s*(?P<v>已?废止|已?失效|现行有效|有效|尚未生效|尚未施行)")


def find_effective_date(doc: Document, found: dict[str, Found]) -> Found | None:
    text = doc.text
    best: Found | None = None
    for m, day in doc.dates:
        after = text[m.end() : m.end() + 8]
        if not _EFFECTIVE_DATE_SUFFIX_RE.match(after):
            continue
        if not (text[max(0, m.start() - 3) : m.start()].rstrip(" \t\u3000").endswith(("自", "于", "从"))):
            continue
        if _own_sentence(text, m.start(), m.end()):
            best = Found(day, Span(m.start(), m.end()))
    for m in _EFFECTIVE_FROM_RE.finditer(text):
        if not _own_sentence(text, m.start(), m.end()):
            continue
        base = found.get("publish_date") or found.get("written_date")
        if base is not None and (best is None or best.span is None or m.start() > best.span.start):
            best = Found(base.value, Span(m.start(), m.end()))
    return best


def find_expiry_date(doc: Document, found: dict[str, Found]) -> Found | None:
    text = doc.text
    for m, day in doc.dates:
        before = text[max(0, m.start() - 8) : m.start()]
        after = text[m.end() : m.end() + 8]
        if not (_VALID_UNTIL_RE.search(before) or _EXPIRES_SUFFIX_RE.match(after)):
            continue
        s, _ = _sentence_bounds(text, m.start(), m.end())
        if "》" in text[s : m.start()] and not _VALID_UNTIL_RE.search(before):
            continue  # 《旧办法》于…废止: another document's end
        if _own_sentence(text, m.start(), m.end()):
            return Found(day, Span(m.start(), m.end()))
    base = found.get("effective_date") or found.get("publish_date") or found.get("written_date")
    if base is None:
        return None
    for m in _VALID_FOR_RE.finditer(text):
        if not _validity_of_document(text, m.start(), m.end()):
            continue
        n_raw = m.group("n")
        n = int(n_raw) if n_raw.isdigit() else cn_small_number(n_raw)
        if n <= 0:
            continue
        start = base.value
        assert isinstance(start, date)
        end = _add_years(start, n) if m.group("unit") == "年" else _add_months(start, n)
        # 有效期5年 from 2024-03-04 runs to 2029-03-03 (as the Guangzhou rules register prints it).
        return Found(end - timedelta(days=1), Span(m.start(), m.end()))
    return None


def validity_status(doc: Document, meta: PolicyMetadata, today: date) -> ValidityStatus:
    field = _STATUS_FIELD_RE.search(doc.text, 0, min(len(doc.text), HEAD_CHARS))
    if field and ("废止" in field.group("v") or "失效" in field.group("v")):
        return ValidityStatus.EXPIRED
    return current_status(meta, today)


def _own_sentence(text: str, start: int, end: int) -> bool:
    s, e = _sentence_bounds(text, start, end)
    sentence = text[s:e]
    if _OWN_DOC_RE.search(sentence):
        return True
    return bool(re.match(r"^[ \t\u3000]*(?:第[一二三四五六七八九十百]+条[ \t\u3000]*)?(?:自|有效期|本)", sentence))


def _validity_of_document(text: str, start: int, end: int) -> bool:
    """``有效期N年`` is the document's own term when its sentence starts with it or says the document
    takes effect (本办法自…起施行，有效期5年); not a licence's term inside an article."""
    s, _ = _sentence_bounds(text, start, end)
    clause_start = max(s, max(text.rfind(c, 0, start) for c in "，,") + 1)
    if re.match(r"^[ \t\u3000]*(?:第[一二三四五六七八九十百]+条[ \t\u3000]*)?$", text[clause_start:start]):
        before = text[s:start]
        return clause_start == s or bool(re.search(r"施行|执行|实施|生效|试行|印发|发布|公布", before))
    return bool(re.search(rf"本{DOC_TYPE}?$", text[clause_start:start].strip(STRIP)))


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from after the previous 。；！？ or newline to the next one."""
    lo, hi = max(0, start - 400), min(len(text), end + 400)
    left = max(text.rfind(c, lo, start) for c in "。；！？\n")
    right_candidates = [i for i in (text.find(c, end, hi) for c in "。；！？\n") if i >= 0]
    right = min(right_candidates) if right_candidates else hi
    return (left + 1 if left >= 0 else lo), right


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
