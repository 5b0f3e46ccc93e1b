"""Whether an indexed document is a copy of another: the same text saved as DOCX, PDF or a web page.

A library can hold one policy several times (the government site's page, the PDF attachment, a DOCX made from it).
A copy is recognised by its text: at least ``threshold`` of the shorter text's 8-character shingles (whitespace
removed) occur in the longer one, which tolerates a web page's navigation and a PDF's line breaks.

* :class:`CopyDetector` answers it while answering questions (cached, sampled shingles) and says which copy to
  cite (:meth:`CopyDetector.preferred`).
* :class:`index.evaluation.CopyMatcher` answers it for evaluations, which name one copy as the gold source: a
  search or an answer that cites another copy found the right policy.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from index.types import PolicyDocument, PolicyStore
from policy.formats import SourceFormat
from policy.types import ValidityStatus, current_status

_SHINGLE = 8
_SPACE = re.compile(r"\s+")


def squashed(text: str) -> str:
    """The text without whitespace: copies differ in line breaks and spacing, not in their characters."""
    return _SPACE.sub("", text)


def shingles(text: str) -> set[str]:
    flat = squashed(text)
    return {flat[i : i + _SHINGLE] for i in range(max(1, len(flat) - _SHINGLE + 1))}


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the larger one."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 0.0


# The text as filed is quoted most faithfully from plain text; a DOCX loses little, a web page may keep navigation
# lines, a PDF splits lines and spaces digits ("〔2022〕14 号").
_FORMAT_FIDELITY = {
    SourceFormat.TXT.value: 0, SourceFormat.MD.value: 0, SourceFormat.DOCX.value: 1, SourceFormat.HTML.value: 2, SourceFormat.PDF.value: 3,
}
_SAMPLE = 4  # keep one shingle in four (by hash): containment is estimated on a quarter of the text's shingles
# Copies of one document share ≥ 0.92 of the shorter text's shingles in the library (`bench/copy_preference.py`).
# Two versions of one law share 0.04–0.995: they are told apart by their signature dates, not by this threshold.
COPY_THRESHOLD = 0.9
# A document many times longer than another is a compilation or a page that quotes it, not a copy.
_LENGTH_RATIO = 3
_SAME_LENGTH = 1.1  # copies whose lengths differ by less than this factor are the same text (a title line, spacing)


@dataclass(frozen=True)
class DocumentPrint:
    """What the copy test and the citation preference need of a stored document."""

    doc_id: str
    content_hash: str
    fingerprint: np.ndarray  # see fingerprint()
    length: int  # characters without whitespace
    source_format: str
    has_doc_number: bool
    expired: bool


class CopyDetector:
    """Which stored documents are copies of one another, and which copy an answer should cite.

    >>> detector = CopyDetector(store)
    >>> detector.are_copies(html_page_id, txt_original_id)
    True
    >>> detector.preferred([html_page_id, txt_original_id]) == txt_original_id
    True

    Prints are cached by document id and content hash (a re-ingested document is read again); ``capacity`` bounds
    the cache. ``threshold`` is higher than :class:`index.evaluation.CopyMatcher`'s: a copy is nearly the whole text.
    """

    def __init__(self, store: PolicyStore, threshold: float = COPY_THRESHOLD, capacity: int = 256) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be within (0, 1], got {threshold}")
        self.store = store
        self.threshold = threshold
        self.capacity = capacity
        self._prints: OrderedDict[str, DocumentPrint] = OrderedDict()
        self._lock = threading.Lock()

    def are_copies(self, doc_a: str, doc_b: str) -> bool:
        return bool(self.groups({(doc_a, doc_b)}))

    def groups(self, pairs: set[tuple[str, str]]) -> list[frozenset[str]]:
        """The sets of documents that are copies of one another, from the candidate ``pairs`` (documents whose
        passages overlap); documents without a copy among the pairs are in no group."""
        described = self.store.describe_documents(sorted({doc_id for pair in pairs for doc_id in pair}))
        plausible = [
            (a, b) for a, b in pairs
            if a != b and a in described and b in described and _may_be_copies(described[a], described[b])
        ]
        prints = self._prints_of(described, {doc_id for pair in plausible for doc_id in pair})
        grouped: dict[str, frozenset[str]] = {}
        for doc_a, doc_b in plausible:
            if doc_a not in prints or doc_b not in prints:
                continue
            if fingerprint_containment(prints[doc_a].fingerprint, prints[doc_b].fingerprint) >= self.threshold:
                merged = grouped.get(doc_a, frozenset({doc_a})) | grouped.get(doc_b, frozenset({doc_b}))
                grouped.update((doc_id, merged) for doc_id in merged)
        return list(set(grouped.values()))

    def preferred(self, doc_ids: list[str]) -> str:
        """The copy to cite among ``doc_ids`` (copies of one document, best-ranked first): in force, then the most
        faithful format, then one with its 文号, then the shortest text — the document itself rather than a page or
        compilation that contains it; lengths within 10 % count as equal — then the best-ranked."""
        prints = self.prints(doc_ids)
        known = [doc_id for doc_id in doc_ids if doc_id in prints]
        if not known:
            return doc_ids[0]

        def tier(doc_id: str) -> tuple[bool, int, bool]:
            found = prints[doc_id]
            return found.expired, _FORMAT_FIDELITY.get(found.source_format, len(_FORMAT_FIDELITY)), not found.has_doc_number

        best = min(tier(doc_id) for doc_id in known)
        candidates = [doc_id for doc_id in known if tier(doc_id) == best]
        shortest = min(prints[doc_id].length for doc_id in candidates)
        return next(doc_id for doc_id in candidates if prints[doc_id].length <= _SAME_LENGTH * shortest)

    def prints(self, doc_ids: list[str]) -> dict[str, DocumentPrint]:
        """Prints of the documents still stored, by id."""
        return self._prints_of(self.store.describe_documents(doc_ids), set(doc_ids))

    def _prints_of(self, described: dict[str, PolicyDocument], doc_ids: set[str]) -> dict[str, DocumentPrint]:
        found = {}
        for doc_id in doc_ids & described.keys():
            with self._lock:
                cached = self._prints.get(doc_id)
            if cached is None or cached.content_hash != described[doc_id].content_hash:
                full = self.store.get_document(doc_id)
                if full is None:
                    continue
                cached = _print(full)
            self._remember(cached)
            found[doc_id] = cached
        return found

    def _remember(self, document_print: DocumentPrint) -> None:
        """Cache it as the most recently used print (the server answers questions on several threads)."""
        with self._lock:
            self._prints[document_print.doc_id] = document_print
            self._prints.move_to_end(document_print.doc_id)
            while len(self._prints) > self.capacity:
                self._prints.popitem(last=False)


def _may_be_copies(a: PolicyDocument, b: PolicyDocument) -> bool:
    """Decided without reading either text: a document many times longer than another is not its copy, and two
    documents signed on different dates are two versions (a law and its amendment share most of their text)."""
    fewer, more = sorted((a.chunk_count, b.chunk_count))
    signed = (a.metadata.written_date, b.metadata.written_date)
    return more <= _LENGTH_RATIO * fewer + 2 and (None in signed or signed[0] == signed[1])


def _print(document: PolicyDocument) -> DocumentPrint:
    flat = squashed(document.text)
    return DocumentPrint(
        doc_id=document.doc_id, content_hash=document.content_hash, fingerprint=_flat_fingerprint(flat),
        length=len(flat), source_format=document.source_format,
        has_doc_number=bool(document.metadata.doc_number), expired=current_status(document.metadata) == ValidityStatus.EXPIRED,
    )


def fingerprint(text: str) -> np.ndarray:
    """Sorted unique 64-bit hashes of a sample (one in four, by hash) of the text's 8-character shingles, whitespace
    removed. Vectorised: a long law takes a few milliseconds."""
    return _flat_fingerprint(squashed(text))


def _flat_fingerprint(flat: str) -> np.ndarray:
    codes = np.frombuffer(flat.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - _SHINGLE + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(_SHINGLE):  # polynomial hash, wrapping at 2**64
        hashes = hashes * np.uint64(1_000_003) + codes[offset : offset + count]
    hashes ^= hashes >> np.uint64(31)  # mix the high bits into the low ones the sampling looks at
    hashes *= np.uint64(0x9E3779B97F4A7C15)
    hashes ^= hashes >> np.uint64(29)
    return np.unique(hashes[hashes % np.uint64(_SAMPLE) == 0])


def fingerprint_containment(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller fingerprint found in the larger one."""
    small, large = (a, b) if a.size <= b.size else (b, a)
    return np.intersect1d(small, large, assume_unique=True).size / small.size if small.size else 0.0
