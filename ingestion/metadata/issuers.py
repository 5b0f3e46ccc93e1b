"""The issuing organ (发文机关): a labelled field, the organ before 关于/印发 in the title, a law's organ, or the signature."""

from __future__ import annotations

import re

from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Span, span_of
from ingestion.metadata.organs import is_organ, join_pieces
from ingestion.metadata.patterns import FIELD_LABEL_RE, HEAD_CHARS, SENTENCE_PUNCT_RE, STRIP, TITLE_VERB_RE

_ISSUER_LABEL_RE = re.compile(r"(?:发文机关|发布机关|发文单位|制定机关)\s*[:：]\s*(?P<v>[^\n]{2,80})")


def find_issuer(doc: Document, title: Found | None) -> Found | None:
    text = doc.text
    label = _ISSUER_LABEL_RE.search(text, 0, HEAD_CHARS)
    if label:
        value = FIELD_LABEL_RE.split(label.group("v"), maxsplit=1)[0].strip(STRIP)
        if 2 <= len(value) <= 60 and not SENTENCE_PUNCT_RE.search(value):
            return Found(value, span_of(text, value, label.start("v"), label.end("v")))
    if title:
        found = _issuer_from_title(doc, title)
        signature = doc.signature
        if found and re.search(r"等[\d一二三四五六七八九十]+个?部门$", str(found.value)) and signature and signature.organ:
            s, e = signature.organ  # 广州市卫生健康委等4部门: the signature names the four
            return Found(join_pieces(text[s:e]), Span(s, e))
        if found:
            return found
    if doc.law_events:
        found = _issuer_from_law(doc)
        if found:
            return found
    signature = doc.signature
    if signature is not None and signature.organ is not None:
        s, e = signature.organ
        return Found(join_pieces(text[s:e]), Span(s, e))
    return None


def _issuer_from_title(doc: Document, title: Found) -> Found | None:
    value = str(title.value)
    verb = TITLE_VERB_RE.search(value)
    if not verb or verb.start() < 2:
        return None
    prefix = value[: verb.start()].rstrip(STRIP)
    prefix = re.sub(r"(?:联合|共同)$", "", prefix)
    if not is_organ(prefix):
        return None
    span = span_of(doc.text, prefix, title.span.start, title.span.end) if title.span else None
    return Found(prefix, span or span_of(doc.text, prefix, 0, HEAD_CHARS))


def _issuer_from_law(doc: Document) -> Found | None:
    events = [ev for ev in doc.law_events if ev.organ is not None]
    preferred = [ev for ev in events if ev.kind not in ("批准", "施行")] or events
    if not preferred:
        return None
    event = preferred[-1]
    assert event.organ is not None
    value, start, end = event.organ
    return Found(value, span_of(doc.text, value, start, end))
