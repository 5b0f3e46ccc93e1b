"""What a text is (:class:`policy.types.DocumentKind`): the policy itself, an interpretation of it (解读, 问答, 一文说清),
or a news report (记者…报道, 近日…出台, 会议指出). Official features (its own 文号, a salutation line, 特此通知,
articles, a signature) make a text a policy even under a press headline."""

from __future__ import annotations

import re

from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found
from ingestion.metadata.patterns import TITLE_END_RE
from policy.types import DocumentKind

_INTERPRETATION_TITLE_RE = re.compile(
    r"解读|答记者问|问答|答疑|热点\d*问|\d+问|一文(?:说清|读懂|了解|看懂)|一图读懂|图解|常见问题|如何|怎么|怎样|请查收|流程|攻略|简介|详解|[？?！!]"
)
_INTERPRETATION_BODY_RE = re.compile(r"一文了解|一文读懂|政策解读|解读如下|文件解读|答[:：]")
_PRESS_RE = re.compile(r"记者|新华社|日电|报讯|中新网|澎湃新闻|原标题|作者[:：]|讯[（(]|新闻发布会|通讯员")
# Weaker signs of a report (a government site prints 来源： on its own documents too).
_REPORT_RE = re.compile(r"来源[:：]|获悉|会议指出|会议强调|会议要求")
_NEWS_LEAD_RE = re.compile(r"^[ \t\u3000]*(?:近日|日前|近期|今年以来|昨天|昨日|今天|今日|\d{1,2}月\d{1,2}日[，,晚上下午]|会议指出|据了解|据悉)")
_NEWS_TITLE_RE = re.compile(r"(?:出台|召开|举行|启动|推出|部署|视频连线|走访|调研|开通|助力|免收|发布《|印发《|起实施|起施行)")
_OFFICIAL_RE = re.compile(
    r"特此(?:通知|通告|公告|函告|批复)|现将[^。]{0,80}?(?:印发|转发|通知|公告|公布)|(?:通知|通告|公告|意见)如下|"
    r"(?:^|[\s。])(?:各[^。，：:\n]{1,60}[：:])|第一条|本(?:通知|办法|意见|规定|措施|公告|通告|细则|方案|条例|决定|政策)"
)


def document_kind(doc: Document, title: Found | None, has_number: bool) -> DocumentKind:
    text = doc.text
    title_text = str(title.value) if title is not None else ""
    head = text[:300]
    body_start = title.span.end if title is not None and title.span is not None else 0
    lead = text[body_start : body_start + 200]
    official = has_number or bool(doc.law_events) or _OFFICIAL_RE.search(text[:4000]) is not None
    if _INTERPRETATION_TITLE_RE.search(title_text) or _INTERPRETATION_BODY_RE.search(head):
        if not has_number or "解读" in title_text:
            return DocumentKind.INTERPRETATION
    if _PRESS_RE.search(head) and not (has_number or doc.law_events or _strongly_official(text)):
        return DocumentKind.NEWS
    reported = _REPORT_RE.search(head) is not None or _NEWS_LEAD_RE.match(lead) is not None
    if reported and not official and not TITLE_END_RE.search(title_text):
        return DocumentKind.NEWS
    if official:
        return DocumentKind.POLICY
    if title_text and _NEWS_TITLE_RE.search(title_text) and not title_text.startswith("关于") and not TITLE_END_RE.search(title_text):
        return DocumentKind.NEWS
    return DocumentKind.POLICY


def _strongly_official(text: str) -> bool:
    """A salutation line and a formal closing or 本通知… sentence: the document's own text, not a report about it."""
    return bool(re.search(r"特此(?:通知|通告|公告)|本(?:通知|办法|意见|规定|公告|通告|细则|决定)自", text)) and bool(
        re.search(r"(?:^|[\s。])各[^。，：:\n]{1,60}[：:]|第一条", text[:3000])
    )
