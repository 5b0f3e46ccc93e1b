"""Metadata of one Chinese official document, each value with the span of text it was read from.

``PolicyMetadataExtractor().extract(text)`` reads the title, the issuing organ (发文机关), the document's own
number (发文字号), its dates (成文/发布/施行/失效), its validity (``evidence["status"]`` is the sentence that
makes it 时效不确定), its kind (政策文件/政策解读/新闻报道), the region it governs and policy-type tags from the plain text a reader produced (notices, laws as Markdown-ish text, single-line NCP texts, web pages).
Everything is pattern-based and fast (about a millisecond per document); nothing is guessed from outside the
text except what the caller passes as ``title_hint``/``file_name``. Each field family has its module.

Example::

    meta = PolicyMetadataExtractor().extract(text, file_name="呼和浩特市数字政府建设实施方案.txt")
    meta.issuer                     # "呼和浩特市人民政府"
    meta.written_date               # date(2024, 12, 30)
    meta.evidence["written_date"]   # Evidence(text="2024年12月30日", start=..., end=...)
"""

from __future__ import annotations

import re
from datetime import date

from ingestion.metadata.dates import find_dates
from ingestion.metadata.doc_numbers import find_doc_number
from ingestion.metadata.document import Document
from ingestion.metadata.issuers import find_issuer
from ingestion.metadata.jurisdictions import expand_issuer, law_issuer
from ingestion.metadata.kinds import document_kind
from ingestion.metadata.layout import Found
from ingestion.metadata.regions import find_region
from ingestion.metadata.tags import score_tags
from ingestion.metadata.titles import fallback_title, find_title
from ingestion.metadata.validity import end_event, validity_status
from policy.gazetteer import Gazetteer
from policy.types import DocumentKind, Evidence, PolicyMetadata

_RECORD_ROW_RE = re.compile(r"^\s*(?P<d>\d{4}-\d{2}-\d{2})(?: \d{2}:\d{2}:\d{2})? \| (?P<t>[^|\n]{2,200}?) \| ")


class PolicyMetadataExtractor:
    """Reads ``PolicyMetadata`` from a document's plain text.

    :param gazetteer: place names for the region; the bundled one by default.
    :param max_tags: at most this many policy tags are returned, best first.
    :param tag_threshold: a tag needs at least this score (a title keyword scores ``TITLE_WEIGHT``, a body hit 1).

    Usage::

        extractor = PolicyMetadataExtractor()
        meta = extractor.extract(text, title_hint="…的通知", today=date(2025, 1, 1))
    """

    def __init__(self, gazetteer: Gazetteer | None = None, *, max_tags: int = 3, tag_threshold: int = 6) -> None:
        if max_tags < 0:
            raise ValueError(f"max_tags must be 0 or more. Currently, max_tags is {max_tags}")
        if tag_threshold <= 0:
            raise ValueError(f"tag_threshold must be greater than 0. Currently, tag_threshold is {tag_threshold}")
        self._gazetteer = gazetteer
        self._max_tags = max_tags
        self._tag_threshold = tag_threshold

    @property
    def gazetteer(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.load()
        return self._gazetteer

    def extract(
        self,
        text: str,
        *,
        title_hint: str | None = None,
        file_name: str | None = None,
        today: date | None = None,
    ) -> PolicyMetadata:
        """Extract the metadata of one document.

        :param text: the document's plain text; evidence spans index into it.
        :param title_hint: a title the container declares (HTML ``<title>``, DOCX title style); used when plausible.
        :param file_name: the uploaded file's name; a ``(YYYY-MM-DD)`` in it is taken as the publication date
            when the text has none, and its stem as a title when the text carries it as a line.
        :param today: the day the validity status is judged on; ``date.today()`` by default.
        :returns: the metadata; ``evidence[field]`` is set for every value read from a span of ``text``.
        """
        doc = Document(text, file_name)
        meta = PolicyMetadata()
        found: dict[str, Found] = {}

        record = _RECORD_ROW_RE.match(text)
        title = find_title(doc, title_hint, record)
        if title:
            found["title"] = title
        number = find_doc_number(doc, title)
        if number:
            found["doc_number"] = number
        issuer = find_issuer(doc, title)
        if issuer:
            found["issuer"] = issuer
        if title is None and (title := fallback_title(doc, str(issuer.value) if issuer else None)) is not None:
            found["title"] = title
        found.update(find_dates(doc, record, found.get("title")))
        region = find_region(self.gazetteer, doc, found.get("title"), found.get("issuer"))
        if region:
            found["region"] = region
        self._complete_issuer(doc, found)

        meta.kind = document_kind(doc, found.get("title"), "doc_number" in found)
        if meta.kind != DocumentKind.POLICY:
            found.pop("expiry_date", None)  # a report quoting a measure's end is not the measure
        event = end_event(doc) if meta.kind == DocumentKind.POLICY else None
        if event is not None:
            found["status"] = event
        for name, item in found.items():
            if name != "status":
                setattr(meta, name, item.value)
            if item.span is not None:
                meta.evidence[name] = Evidence(text[item.span.start : item.span.end], item.span.start, item.span.end)
        meta.status = validity_status(doc, meta, today or date.today(), event)
        meta.tags = self.tags(text, meta.title)
        return meta

    def _complete_issuer(self, doc: Document, found: dict[str, Found]) -> None:
        """The issuer's full name with its jurisdiction (省发展改革委 → 贵州省发展和改革委员会), or the organ that
        makes a national law or regulation whose text names none; the region from it when the title names none."""
        issuer, title, region = found.get("issuer"), found.get("title"), found.get("region")
        if issuer is None:
            title_text = str(title.value) if title else None
            organ = law_issuer(title_text, bool(title_text and self.gazetteer.places_in(title_text)))
            if organ is not None:
                found["issuer"] = Found(organ)
            return
        full = expand_issuer(str(issuer.value), doc.text, str(region.value) if region else None, self.gazetteer)
        if full != issuer.value:
            found["issuer"] = Found(full, issuer.span)
            if region is None and (hit := self.gazetteer.region_in(full)) is not None:
                found["region"] = Found(hit[0], issuer.span)

    def tags(self, text: str, title: str | None = None) -> list[str]:
        """Policy-type slugs (keys of ``POLICY_TAGS``) that ``text`` is about, best first.

        :param text: the document text; its first 20,000 characters are scanned.
        :param title: the title, whose keywords weigh ``TITLE_WEIGHT`` times more.
        :returns: up to ``max_tags`` slugs scoring at least ``tag_threshold``.
        """
        return score_tags(text, title, max_tags=self._max_tags, threshold=self._tag_threshold)
