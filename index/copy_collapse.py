"""Each policy once among ranked passages or search hits when the library holds it several times.

Copies of one passage (the plain text, the saved web page, a DOCX, a PDF) retrieve alike, so a result list would
name one policy up to four times and which copy came first was chance — often the web page, whose title is the
site's and whose text may carry navigation. Among the ranked items, documents whose passages overlap are tested as
whole documents (:class:`index.document_copies.CopyDetector`); an item of a copy is replaced by the preferred copy's
item holding the same text (the preferred copy: in force, most faithful format, with its 文号, shortest), with the
better of the two relevances, else by the same span read from the preferred copy's whole text; an item the
preferred copy does not hold (a page's header or navigation) is dropped.

Used by the answer pipeline (``qa.copy_preference``) on its ranked passages and by
:meth:`index.retrieval.HybridSearcher.search` on its hits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from index.document_copies import CopyDetector, containment, shingles, squashed

# Copies are chunked alike but not identically (a page's navigation shifts the boundaries): two passages may be the
# same text when half of the shorter one's shingles occur in the other; their documents are then compared whole.
PASSAGE_OVERLAP = 0.5


class RankedPassage(Protocol):
    """What the collapse reads of a ranked item (a frozen dataclass: replaced with :func:`dataclasses.replace`)."""

    __dataclass_fields__: ClassVar[dict[str, Any]]

    @property
    def chunk_id(self) -> str: ...
    @property
    def doc_id(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def char_start(self) -> int: ...
    @property
    def char_end(self) -> int: ...
    @property
    def score(self) -> float: ...


Item = TypeVar("Item", bound=RankedPassage)


@dataclass(frozen=True)
class CollapsedCopies(Generic[Item]):
    items: list[Item]  # best first, each chunk once, no item of a non-preferred copy
    copies: dict[str, list[str]]  # preferred doc id → the other copies' doc ids found among the items


def collapse_copies(
    items: list[Item], detector: CopyDetector, relevance_of: Callable[[Item], dict[str, Any]]
) -> CollapsedCopies[Item]:
    """``items`` (best first) with each copy's items replaced by the preferred copy's; ``relevance_of(item)`` names
    the fields that carry an item's relevance (``score`` and whatever explains it), kept from the better of an item
    and its counterpart."""
    prints = [shingles(item.text) for item in items]
    overlapping = {
        (items[i].doc_id, items[j].doc_id)
        for i in range(len(items))
        for j in range(i + 1, len(items))
        if items[i].doc_id != items[j].doc_id and containment(prints[i], prints[j]) >= PASSAGE_OVERLAP
    }
    if not overlapping:
        return CollapsedCopies(list(items), {})
    ranked_docs = list(dict.fromkeys(item.doc_id for item in items))
    preferred: dict[str, str] = {}
    copies: dict[str, list[str]] = {}
    for group in detector.groups(overlapping):
        members = [doc_id for doc_id in ranked_docs if doc_id in group]
        winner = detector.preferred(members)
        preferred.update((doc_id, winner) for doc_id in members)
        copies[winner] = [doc_id for doc_id in members if doc_id != winner]
    replacer = _CounterpartFinder(items, detector, relevance_of)
    replaced = []
    for item in items:
        doc_id = preferred.get(item.doc_id, item.doc_id)
        if doc_id == item.doc_id:
            replaced.append(item)
            continue
        counterpart = replacer.counterpart(item, doc_id)
        if counterpart is not None:
            replaced.append(counterpart)
        # else: text only this copy has (a page's header, navigation): dropped, so the policy is named once
    replaced.sort(key=lambda item: -item.score)
    first_of_chunk: dict[str, Item] = {}
    for item in replaced:
        first_of_chunk.setdefault(item.chunk_id, item)
    return CollapsedCopies(list(first_of_chunk.values()), copies)


class _CounterpartFinder(Generic[Item]):
    """An item's text in the preferred copy: that copy's ranked item holding it, else the span read from its whole
    text. Each preferred copy's items are squashed once and its whole text read once."""

    def __init__(self, items: list[Item], detector: CopyDetector, relevance_of: Callable[[Item], dict[str, Any]]) -> None:
        self.items = items
        self.detector = detector
        self.relevance_of = relevance_of
        self._ranked: dict[str, list[tuple[Item, SquashedText]]] = {}
        self._texts: dict[str, SquashedText | None] = {}

    def counterpart(self, original: Item, doc_id: str) -> Item | None:
        """``original``'s text in copy ``doc_id``: the ranked item of that copy that holds it (with the better of the
        two relevances), else the same span of its whole text (with ``original``'s relevance); None when the copy
        does not hold it."""
        if doc_id not in self._ranked:
            self._ranked[doc_id] = [(item, SquashedText(item.text)) for item in self.items if item.doc_id == doc_id]
        target_items = self._ranked[doc_id]
        for item, text in target_items:
            if text.locate(original.text) is not None:
                return replace(item, **self.relevance_of(max(original, item, key=lambda candidate: candidate.score)))
        if doc_id not in self._texts:
            document = self.detector.store.get_document(doc_id)
            self._texts[doc_id] = None if document is None else SquashedText(document.text)
        whole = self._texts[doc_id]
        span = None if whole is None else whole.locate(original.text)
        if whole is None or span is None:
            return None
        start, end = span
        chunk = next((c for c in self.detector.store.get_chunks(doc_id) if c.char_start <= start < c.char_end), None)
        if chunk is None:
            return None
        return replace(
            target_items[0][0], chunk_id=chunk.chunk_id, section=chunk.section, text=whole.text[start:end],
            char_start=start, char_end=end, **self.relevance_of(original),
        )


_SPAN_ANCHOR = 24  # characters (whitespace removed) that must match at each end of a located span


class SquashedText:
    """A text with its whitespace removed, for finding passages of a copy whose line breaks and spacing differ."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._kept = [i for i, ch in enumerate(text) if not ch.isspace()]  # original offset of each kept character
        self._squashed = "".join(text[i] for i in self._kept)

    def locate(self, needle: str) -> tuple[int, int] | None:
        """Offsets of ``needle`` in the text ignoring whitespace: (start, end) with ``text[start:end]`` the same
        text, or None. A copy may differ at a passage's edges (a web page's navigation line), so each end is
        anchored on the first matching 24-character piece within the outer third of the needle, then extended
        while the texts agree."""
        flat, hay = squashed(needle), self._squashed
        if len(flat) < _SPAN_ANCHOR:
            found = hay.find(flat) if flat else -1
            return None if found < 0 else (self._kept[found], self._kept[found + len(flat) - 1] + 1)
        reach = max(1, len(flat) // 3)
        for head in range(0, reach, _SPAN_ANCHOR // 2):
            first = hay.find(flat[head : head + _SPAN_ANCHOR])
            if first >= 0:
                break
        else:
            return None
        for tail in range(len(flat), len(flat) - reach, -(_SPAN_ANCHOR // 2)):
            last = hay.find(flat[tail - _SPAN_ANCHOR : tail], first)
            if last >= 0:
                last += _SPAN_ANCHOR
                break
        else:
            return None
        while head > 0 and first > 0 and hay[first - 1] == flat[head - 1]:  # back to the edge
            head, first = head - 1, first - 1
        while tail < len(flat) and last < len(hay) and hay[last] == flat[tail]:
            tail, last = tail + 1, last + 1
        if not 0.9 * (tail - head) <= last - first <= 1.1 * (tail - head) + 2:
            return None
        return self._kept[first], self._kept[last - 1] + 1
