"""Versions of the same law or regulation: the library may hold several (公司法 of 2018 and of 2023). The newest
stays as it is; each older one is marked 已被修订 with a link to the newest (``superseded_by``).

A version is recognised by its title (a law, regulation or rule: …法, …条例, …规定, …办法, …细则) and told apart
by its date; two copies with the same date are copies, not versions. A status a person set is never changed.

Example::

    changed = link_versions([VersionedDocument("a", meta_2018), VersionedDocument("b", meta_2023)])
    meta_2018.status, meta_2018.superseded_by   # (ValidityStatus.SUPERSEDED, "b")
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from index.types import PolicyDocument, PolicyStore
from policy.types import DocumentKind, PolicyMetadata, ValidityStatus

_VERSIONED_TITLE_RE = re.compile(r"(?:法|条例|规定|办法|细则|规则|决定)$")
_PAGE = 500


@dataclass
class VersionedDocument:
    key: str  # the doc_id the newer version is linked by
    metadata: PolicyMetadata


def version_key(metadata: PolicyMetadata) -> str | None:
    """The title versions share, or None when the document is not a law, regulation or rule."""
    title = re.sub(r"\s", "", metadata.title or "")
    if metadata.kind != DocumentKind.POLICY or title.startswith("关于") or not _VERSIONED_TITLE_RE.search(title):
        return None
    return title.removeprefix("中华人民共和国")


def _version_date(metadata: PolicyMetadata) -> date | None:
    return metadata.publish_date or metadata.written_date


def link_versions(documents: Sequence[VersionedDocument]) -> list[VersionedDocument]:
    """Mark every older version 已被修订, linked to the newest version of its title; returns the documents changed.

    A document whose status a person set, or that is 已失效, is left as it is; one that was marked superseded but
    is now the newest (the newer version was deleted) is put back in force.
    """
    groups: dict[str, list[VersionedDocument]] = defaultdict(list)
    for document in documents:
        key = version_key(document.metadata)
        if key is not None and _version_date(document.metadata) is not None:
            groups[key].append(document)
    changed = []
    for group in groups.values():
        newest_day = max(day for d in group if (day := _version_date(d.metadata)) is not None)
        newest = min((d for d in group if _version_date(d.metadata) == newest_day), key=lambda d: d.key)
        for document in group:
            meta = document.metadata
            if "status" in meta.corrected or meta.status == ValidityStatus.EXPIRED:
                continue
            older = _version_date(meta) != newest_day and _same_jurisdiction(meta, newest.metadata)
            if older and (meta.status != ValidityStatus.SUPERSEDED or meta.superseded_by != newest.key):
                meta.status, meta.superseded_by = ValidityStatus.SUPERSEDED, newest.key
                changed.append(document)
            elif not older and meta.status == ValidityStatus.SUPERSEDED:
                meta.status, meta.superseded_by = ValidityStatus.IN_FORCE, None
                changed.append(document)
    return changed


def _same_jurisdiction(a: PolicyMetadata, b: PolicyMetadata) -> bool:
    return a.region is None or b.region is None or a.region == b.region


def relink_stored_versions(store: PolicyStore, titles: Iterable[str | None]) -> list[str]:
    """Link the versions of ``titles`` (those just ingested) among every stored document; saves and returns the
    doc_ids whose status or link changed. Costs one pass over the stored metadata, so it runs once per batch."""
    wanted = {version_key(PolicyMetadata(title=title)) for title in titles} - {None}
    if not wanted:
        return []
    candidates: list[VersionedDocument] = []
    offset = 0
    while True:
        page = store.list_documents(limit=_PAGE, offset=offset)
        candidates.extend(VersionedDocument(d.doc_id, d.metadata) for d in page if version_key(d.metadata) in wanted)
        if len(page) < _PAGE:
            break
        offset += _PAGE
    saved = []
    for linked in link_versions(candidates):
        stored = store.get_document(linked.key)
        if stored is None:
            continue
        document: PolicyDocument = dataclasses.replace(stored, metadata=linked.metadata)
        store.replace_document(document, store.get_chunks(linked.key))
        saved.append(linked.key)
    return saved
