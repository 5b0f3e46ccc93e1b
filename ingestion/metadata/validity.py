"""When a document is in force: its effective and expiry dates and its validity, from what the text says.

* fixed ends: 有效期至2022年12月31日, 暂执行至2020年6月30日止, 执行期限为A至B, 有效期至2020年底, 有效期调整至…;
* relative terms: 有效期5年, 施行期暂定为6个月, 自发布之日起三个月 — from a stated 起施行 date, else the
  印发/发布 date, minus one day (有效期5年 from 2024-03-04 runs to 2029-03-03, as Guangzhou's register counts);
* ends tied to an event (有效期至疫情解除, Ⅰ级响应解除, 另行公告, 适用于疫情防控期间): 时效不确定, and so is an
  epidemic-response measure that states no end;
* a start date only: in force from it;
* Guangzhou's rules register row (索引号, 文号, 生效日期, 失效日期 without their labels): the register's dates win
  over the body, since they record early repeals and extensions.

Only sentences about the document itself count (本通知…, 以上措施…, 有效期…), not a clause's deadline or another
document's end; text inside HTML comments or scripts is ignored.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ingestion.metadata.chinese_dates import DATE_RE, cn_small_number, parse_date
from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Span
from ingestion.metadata.patterns import CN_SMALL, DOC_TYPE, HEAD_CHARS, STRIP
from policy.types import PolicyMetadata, ValidityStatus, current_status

_WS = "[ \t\u3000]*"
_OWN_SUBJECT = (
    rf"(?:本|以上|上述)(?:{DOC_TYPE}|文件|政策|实施细则|实施办法|实施方案|若干措施|管理办法|规范性文件|法规|规章|"
    r"政策措施|措施|意见|规定|条款|支持政策)"
)
_OWN_DOC_RE = re.compile(_OWN_SUBJECT)
_OWN_START_RE = re.compile(
    r"^[ \t\u3000]*(?:[一二三四五六七八九十]+、|\d+[、.．])?[ \t\u3000]*(?:第[一二三四五六七八九十百]+条[ \t\u3000]*)?"
    r"(?:自|有效期|本|以上|上述|执行期|施行期|实施期|试行期)"
)
_BASE_DAY = r"(?P<when>发布|印发|公布|颁布|发文|下发|签发|公告|通告|发出)之日"
_EFFECTIVE_FROM_RE = re.compile(
    rf"自(?:本?(?:政策|通知|文件|公告|通告))?(?:{_BASE_DAY}|(?P<now>即日))起?{_WS}(?:暂)?(?:施行|执行|实施|生效|试行)"
    rf"|(?:有效期|执行期|施行期|实施期)[^，。；]{{0,6}}自(?:本?(?:政策|通知|文件))?(?:发布|印发|公布|颁布)之日起"
)
_EFFECTIVE_DATE_SUFFIX_RE = re.compile(r"^[ \t\u3000]*(?:起|开始)?[ \t\u3000]*(?:施行|执行|实施|生效|试行)")
_TERM_WORD = r"(?:有效期|试行期|实施期|执行期|施行期|执行时限)(?:限)?"
_VALID_FOR_RE = re.compile(
    rf"{_TERM_WORD}(?:暂定)?(?:为|是)?{_WS}(?:自[^，。；]{{0,12}}?之日起的?)?{_WS}"
    rf"(?P<n>\d{{1,2}}|[{CN_SMALL}两半]{{1,2}})[ \t\u3000]*(?P<unit>年|个月)"
)
# An end date right after these words is the document's end (有效期至…, 暂执行至…止, 执行期限为A至B).
_VALID_UNTIL_RE = re.compile(
    rf"(?:{_TERM_WORD}(?:调整)?(?:暂定)?(?:为|是)?[^，。；]{{0,16}}?(?:至|到|截至|截止到|截止至|截止)|(?:暂)?执行至|施行至|实施至){_WS}$"
)
_EXPIRES_SUFFIX_RE = re.compile(r"^[ \t\u3000]*(?:止)?[ \t\u3000]*(?:起)?(?:废止|失效|停止执行|停止施行|自行废止|自动失效|止)")
_YEAR_END_RE = re.compile(rf"{_TERM_WORD}(?:至|到|截至){_WS}(?P<y>\d{{4}})年底")
_STATUS_FIELD_RE = re.compile(r"(?:时\s*效\s*性|效力状态|时效状态)\s*[:：]?\s*(?P<v>已?废止|已?失效|现行有效|有效|尚未生效|尚未施行)")
_HIDDEN_RE = re.compile(r"<!--.*?-->|<script\b.*?</script>", re.S | re.I)
_EVENT_END_RE = re.compile(
    r"(?:有效期|执行期限?|实施期限?|施行期|适用)[^。；]{0,8}?(?:至|到|为|于)[^。；]{0,40}?"
    r"(?:疫情|响应|防控|应急|预防控制)[^。；]{0,20}?(?:解除|结束|终止|期间|为止|之日止)"
    r"|(?:截止|解除|停止|结束)(?:日期|时间)[^。；]{0,40}?另行(?:公告|通知|通告|确定)"
    r"|(?:实施|执行|施行|有效)期限[^。；]{0,6}视[^。；]{0,12}另行(?:公告|通知|通告)"
    r"|(?:预防控制|疫情防控|疫情处置善后|应急处置)[^。；]{0,12}(?:工作)?结束(?:之日起|后)[^。；]{0,6}(?:停止执行|自行废止|废止|失效)"
)
_EPIDEMIC_TITLE_RE = re.compile(r"疫情|肺炎|新冠|防控期间|防疫|抗疫")
_ISSUED_ON_RE = re.compile(rf"(?P<d>\d{{4}}年\d{{1,2}}月\d{{1,2}}日){_WS}印发")
_BLANK_DATE_RE = re.compile(r"(?P<y>\d{4})年[ \t\u3000]*月[ \t\u3000]*日")
# Guangzhou's rules register row: 索引号 GZ…, the number, then 生效日期 and 失效日期 without labels.
_REGISTER_ROW_RE = re.compile(
    r"GZ\d{8,12}\s*\S{2,24}〔\d{4}〕\d{1,4}号\s*(?P<on>\d{4}年\d{1,2}月\d{1,2}日)\s*(?P<off>\d{4}年\d{1,2}月\d{1,2}日)"
)


def register_dates(doc: Document) -> dict[str, Found]:
    """The 生效/失效 dates of a Guangzhou rules register row printed near the top."""
    m = _REGISTER_ROW_RE.search(doc.text, 0, min(len(doc.text), HEAD_CHARS))
    if not m:
        return {}
    out = {}
    for name, group in (("effective_date", "on"), ("expiry_date", "off")):
        d = DATE_RE.match(m.group(group))
        day = parse_date(d) if d else None
        if day is not None:
            out[name] = Found(day, Span(m.start(group), m.end(group)))
    return out


def issued_on(doc: Document) -> Found | None:
    """The 印发 date printed at the end of a notice (``2021年12月6日印发``)."""
    for m in _ISSUED_ON_RE.finditer(doc.text):
        d = DATE_RE.match(m.group("d"))
        day = parse_date(d) if d else None
        if day is not None:
            return Found(day, Span(m.start("d"), m.end("d")))
    return None


def find_effective_date(doc: Document, found: dict[str, Found]) -> Found | None:
    text = doc.text
    best: Found | None = None
    for m, day in doc.dates:
        after = text[m.end() : m.end() + 8]
        if not _EFFECTIVE_DATE_SUFFIX_RE.match(after) or re.match(r"^[ \t\u3000]*至", after):
            continue
        if not (text[max(0, m.start() - 3) : m.start()].rstrip(" \t\u3000").endswith(("自", "于", "从"))):
            continue
        if _own_sentence(text, m.start(), m.end()):
            best = Found(day, Span(m.start(), m.end()))
    for m in _EFFECTIVE_FROM_RE.finditer(text):
        if not _own_sentence(text, m.start(), m.end()):
            continue
        base = _base_day(doc, found)
        if base is not None and (best is None or best.span is None or m.start() > best.span.start):
            best = Found(base.value, Span(m.start(), m.end()))
    return best


def find_expiry_date(doc: Document, found: dict[str, Found]) -> Found | None:
    text = doc.text
    for m, day in doc.dates:
        before = text[max(0, m.start() - 30) : m.start()]
        after = text[m.end() : m.end() + 8]
        until = _VALID_UNTIL_RE.search(before)
        if not (until or _EXPIRES_SUFFIX_RE.match(after)):
            continue
        if not until and re.match(r"^[ \t\u3000]*止", after) and not re.search(r"至[ \t\u3000]*$", before):
            continue  # …止 needs a 至 before the date
        s, _ = _sentence_bounds(text, m.start(), m.end())
        if "》" in text[s : m.start()] and not until:
            continue  # 《旧办法》于…废止: another document's end
        if _own_sentence(text, m.start(), m.end()):
            return Found(day, Span(m.start(), m.end()))
    for m in _YEAR_END_RE.finditer(text):
        if _own_sentence(text, m.start(), m.end()):
            return Found(date(int(m.group("y")), 12, 31), Span(m.start(), m.end()))
    for m in _VALID_FOR_RE.finditer(text):
        if not _validity_of_document(text, m.start(), m.end()):
            continue
        n_raw = m.group("n")
        months = 6 if n_raw == "半" else (int(n_raw) if n_raw.isdigit() else cn_small_number(n_raw)) * (12 if m.group("unit") == "年" else 1)
        if n_raw == "半" and m.group("unit") == "个月":
            continue
        if months <= 0:
            continue
        base = found.get("effective_date") or _base_day(doc, found)
        if base is None:
            blank = _BLANK_DATE_RE.search(text, max(0, len(text) - 200))
            if blank is None:
                return None
            # Signed "2020年月日": the term ends no later than counted from that year's last day.
            return Found(_add_months(date(int(blank.group("y")), 12, 31), months), Span(m.start(), m.end()))
        start = base.value
        assert isinstance(start, date)
        return Found(_add_months(start, months) - timedelta(days=1), Span(m.start(), m.end()))
    return None


def end_event(doc: Document) -> Found | None:
    """A statement that the document ends on an event or at a time still to be announced (有效期至疫情解除)."""
    text = _visible(doc.text)
    for m in _EVENT_END_RE.finditer(text):
        if _own_sentence(text, m.start(), m.end()) or re.match(r"(?:截止|解除|停止|结束)", m.group()):
            return Found(m.group(), Span(m.start(), m.end()))
    return None


def validity_status(doc: Document, meta: PolicyMetadata, today: date, event: Found | None = None) -> ValidityStatus:
    """The status on ``today``. An event-bound or epidemic-era measure with no passed end date is 时效不确定."""
    visible = _visible(doc.text[:HEAD_CHARS])
    field = _STATUS_FIELD_RE.search(visible)
    if field and ("废止" in field.group("v") or "失效" in field.group("v")):
        return ValidityStatus.EXPIRED
    if not meta.is_policy:
        return current_status(meta, today)
    time_limited = event is not None or (
        meta.expiry_date is None and bool(_EPIDEMIC_TITLE_RE.search(meta.title or "")) and not _is_law(meta)
    )
    if time_limited and (meta.expiry_date is None or event is not None):
        base = PolicyMetadata(status=ValidityStatus.UNCERTAIN, effective_date=meta.effective_date, expiry_date=meta.expiry_date)
        status = current_status(base, today)
        # An event-bound measure not yet in force stays 时效不确定: current_status applies its effective date.
        return ValidityStatus.UNCERTAIN if status == ValidityStatus.NOT_YET_IN_FORCE else status
    return current_status(meta, today)


def _is_law(meta: PolicyMetadata) -> bool:
    return bool(re.search(r"(?:法|条例)$", meta.title or ""))


def _base_day(doc: Document, found: dict[str, Found]) -> Found | None:
    """The day 自印发之日起 counts from: a printed 印发 date, else the publication or signature date."""
    return issued_on(doc) or found.get("publish_date") or found.get("written_date")


def _visible(text: str) -> str:
    """``text`` with HTML comments and scripts blanked (same length, so offsets hold)."""
    return _HIDDEN_RE.sub(lambda m: " " * len(m.group()), text) if "<" in text else text


def _own_sentence(text: str, start: int, end: int) -> bool:
    s, e = _sentence_bounds(text, start, end)
    sentence = text[s:e]
    if _OWN_DOC_RE.search(sentence):
        return True
    return bool(_OWN_START_RE.match(sentence))


def _validity_of_document(text: str, start: int, end: int) -> bool:
    """``有效期N年`` is the document's own term when its sentence starts with it or says the document
    takes effect (本办法自…起施行，有效期5年); not a licence's term inside an article."""
    s, _ = _sentence_bounds(text, start, end)
    clause_start = max(s, max(text.rfind(c, 0, start) for c in "，,") + 1)
    lead = text[clause_start:start]
    if re.match(r"^[ \t\u3000]*(?:[一二三四五六七八九十]+、|\d+[、.．])?[ \t\u3000]*(?:第[一二三四五六七八九十百]+条[ \t\u3000]*)?$", lead):
        before = text[s:start]
        return clause_start == s or bool(re.search(r"施行|执行|实施|生效|试行|印发|发布|公布", before))
    return bool(re.search(rf"{_OWN_SUBJECT}?(?:的)?$", lead.strip(STRIP))) and bool(_OWN_DOC_RE.search(lead))


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from after the previous 。；！？ or newline to the next one."""
    lo, hi = max(0, start - 400), min(len(text), end + 400)
    left = max(text.rfind(c, lo, start) for c in "。；！？\n")
    right_candidates = [i for i in (text.find(c, end, hi) for c in "。；！？\n") if i >= 0]
    right = min(right_candidates) if right_candidates else hi
    return (left + 1 if left >= 0 else lo), right


def _add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
