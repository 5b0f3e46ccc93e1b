"""The region a document governs, from the places its title or issuer names."""

from __future__ import annotations

from ingestion.metadata.document import Document
from ingestion.metadata.layout import Found, Span, span_of
from policy.gazetteer import Gazetteer


def find_region(gazetteer: Gazetteer, doc: Document, title: Found | None, issuer: Found | None) -> Found | None:
    for source in (title, issuer):
        if source is None:
            continue
        value = str(source.value)
        hit = gazetteer.region_in(value)
        if hit is None:
            if gazetteer.places_in(value):
                return None  # several provinces: no single region
            continue
        region, s, e = hit
        if source.span is not None and doc.text[source.span.start : source.span.end] == value:
            return Found(region, Span(source.span.start + s, source.span.start + e))
        return Found(region, span_of(doc.text, value[s:e], 0, 20000))
    return None
