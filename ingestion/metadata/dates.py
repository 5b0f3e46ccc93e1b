"""When a document was written and published (成文/发布日期): labelled fields, a law's header, the signature, the page."""

from __future__ import annotations

import re
from datetime import date

from ingestion.metadata.chinese_dates import DATE_RE, parse_date
from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Span
from ingestion.metadata.patterns import HEAD_CHARS, STRIP
from ingestion.metadata.validity import find_effective_date, find_expiry_date, register_dates

_DATE_LABEL_RE = re.compile(
    r"(?=[成发印公生施实废失有日时])(?P<label>成文日期|发文日期|印发日期|发布日期|发布时间|公布日期|公开日期|生效日期|施行日期|实施日期|废止日期|失效日期|"
    r"有效期至|(?<![成发布公开生效施行实废止失])日\s*期|(?<![发布])时\s*间)\s*[:：]\s*"
)


def find_dates(doc: Document, record: re.Match[str] | None, title: Found | None) -> dict[str, Found]:
    out: dict[str, Found] = {}
    labelled = _labelled_dates(doc)
    if doc.law_events:
        made = [ev for ev in doc.law_events if ev.kind not in ("施行", "批准")] or [
            ev for ev in doc.law_events if ev.kind != "施行"
        ]
        if made:
            ev = made[-1]
            out["written_date"] = Found(ev.day, ev.date_span)
            published = [e for e in made if e.kind in ("公布", "发布", "颁布")]
            if doc.file_date:
                out["publish_date"] = Found(doc.file_date)
            elif published and published[-1].day >= ev.day:
                out["publish_date"] = Found(published[-1].day, published[-1].date_span)
            else:
                out["publish_date"] = out["written_date"]
        in_force = [ev for ev in doc.law_events if ev.kind == "施行"]
        if in_force:
            out["effective_date"] = Found(in_force[-1].day, in_force[-1].date_span)
    else:
        if "written_date" in labelled:
            out["written_date"] = labelled["written_date"]
        elif doc.signature is not None:
            out["written_date"] = Found(doc.signature.day, doc.signature.date_span)
        if "publish_date" in labelled:
            out["publish_date"] = labelled["publish_date"]
        elif record:
            d = date.fromisoformat(record.group("d"))
            out["publish_date"] = Found(d, Span(*record.span("d")))
        elif (under_title := _date_under_title(doc, title)) is not None:
            out["publish_date"] = under_title
        elif "written_date" in out:
            out["publish_date"] = out["written_date"]
        elif doc.file_date:
            out["publish_date"] = Found(doc.file_date)
    # Page fields (labelled, or a register row) are the later, more specific statement: they win over the body.
    page = {**register_dates(doc), **labelled}
    if "effective_date" in page:
        out["effective_date"] = page["effective_date"]
    elif "effective_date" not in out:
        effective = find_effective_date(doc, out)
        if effective:
            out["effective_date"] = effective
    if "expiry_date" in page:
        out["expiry_date"] = page["expiry_date"]
    else:
        expiry = find_expiry_date(doc, out)
        if expiry:
            out["expiry_date"] = expiry
    return out


def _date_under_title(doc: Document, title: Found | None) -> Found | None:
    """A web page's date printed alone (perhaps with a time) on one of the three lines under its title."""
    if title is None or title.span is None:
        return None
    text = doc.text
    pos = title.span.end
    if doc.flat:  # 关于…的若干意见 （2020年2月10日）
        m = re.compile(r"[ \t\u3000]*[（(](" + DATE_RE.pattern + r")[)）]").match(text, pos)
        d = DATE_RE.match(m.group(1)) if m else None
        day = parse_date(d) if d else None
        return Found(day, Span(m.start(1), m.end(1))) if m and day else None
    for _ in range(3):
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        line_end = text.find("\n", nl + 1)
        line_end = len(text) if line_end < 0 else line_end
        line = text[nl + 1 : line_end]
        core = line.strip(STRIP)
        m = DATE_RE.match(core)
        if m and re.fullmatch(r"(?:[ \t\u3000]*\d{1,2}:\d{2}(?::\d{2})?)?", core[m.end() :].strip(STRIP) or ""):
            day = parse_date(m)
            if day is not None:
                start = text.find(m.group(), nl + 1, line_end)
                return Found(day, Span(start, start + len(m.group())))
        pos = line_end
    return None


def _labelled_dates(doc: Document) -> dict[str, Found]:
    text = doc.text
    out: dict[str, Found] = {}
    for m in _DATE_LABEL_RE.finditer(text, 0, min(len(text), HEAD_CHARS)):
        d = DATE_RE.match(text, m.end())
        day = parse_date(d) if d else None
        if d is None or day is None:
            continue
        label = re.sub(r"\s", "", m.group("label"))
        field = {
            "成文日期": "written_date",
            "发文日期": "written_date",
            "生效日期": "effective_date",
            "施行日期": "effective_date",
            "实施日期": "effective_date",
            "废止日期": "expiry_date",
            "失效日期": "expiry_date",
            "有效期至": "expiry_date",
        }.get(label, "publish_date")
        if field not in out:
            out[field] = Found(day, Span(d.start(), d.end()))
    return out
