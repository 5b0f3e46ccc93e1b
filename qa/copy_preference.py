"""One citation per policy when the library holds it several times (a web page, a DOCX, a PDF and the plain text).

Copies of one passage retrieve alike, so which copy an answer cited was chance: often the web page, whose title
is the site's and whose text may carry navigation. Among the ranked passages, documents whose passages overlap
are tested as whole documents (:class:`index.document_copies.CopyDetector`); a passage of a copy is replaced by
the preferred copy's passage holding the same text (the preferred copy: in force, most faithful format, with its
文号, shortest), with the better of the two relevances; a passage the preferred copy does not hold (a page's header
or navigation) is dropped. Answers and the related-policy list then name each policy once.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from haystack import component

from index.document_copies import CopyDetector, containment, shingles, squashed
from qa.types import Passage

# Copies are chunked alike but not identically (a page's navigation shifts the boundaries): two passages may be the
# same text when half of the shorter one's shingles occur in the other; their documents are then compared whole.
PASSAGE_OVERLAP = 0.5


@component
class CanonicalCopies:
    """Passages in, the same passages with each copy's passage replaced by the preferred copy's text (duplicates and
    text only a copy has dropped).

    >>> CanonicalCopies(CopyDetector(store)).run(passages)["passages"]
    """

    def __init__(self, detector: CopyDetector) -> None:
        self.detector = detector

    @component.output_types(passages=list[Passage])
    def run(self, passages: list[Passage]) -> dict[str, Any]:
        prints = [shingles(p.text) for p in passages]
        overlapping = [
            (i, j)
            for i in range(len(passages))
            for j in range(i + 1, len(passages))
            if passages[i].doc_id != passages[j].doc_id and containment(prints[i], prints[j]) >= PASSAGE_OVERLAP
        ]
        if not overlapping:
            return {"passages": passages}
        ranked_docs = list(dict.fromkeys(p.doc_id for p in passages))
        preferred: dict[str, str] = {}
        for group in self.detector.groups({(passages[i].doc_id, passages[j].doc_id) for i, j in overlapping}):
            winner = self.detector.preferred([doc_id for doc_id in ranked_docs if doc_id in group])
            preferred.update((doc_id, winner) for doc_id in group)
        replaced = []
        ranked: dict[str, list[tuple[Passage, SquashedText]]] = {}  # each preferred copy's ranked passages, squashed once
        texts: dict[str, SquashedText | None] = {}  # whole texts of preferred copies, read once
        for passage in passages:
            doc_id = preferred.get(passage.doc_id, passage.doc_id)
            if doc_id == passage.doc_id:
                replaced.append(passage)
                continue
            if doc_id not in ranked:
                ranked[doc_id] = [(p, SquashedText(p.text)) for p in passages if p.doc_id == doc_id]
            counterpart = self._counterpart(passage, ranked[doc_id], texts)
            if counterpart is not None:
                replaced.append(counterpart)
            # else: text only this copy has (a page's header, navigation): dropped, so the policy is named once
        replaced.sort(key=lambda p: -p.score)
        seen: set[str] = set()
        unique = [p for p in replaced if not (p.chunk_id in seen or seen.add(p.chunk_id))]
        return {"passages": unique}

    def _counterpart(
        self, original: Passage, target_passages: list[tuple[Passage, SquashedText]], texts: dict[str, SquashedText | None]
    ) -> Passage | None:
        """``original``'s text in the preferred copy: the ranked passage of that copy that holds it (with the better
        of the two scores), else the same span of its whole text read from the store (scored as ``original``); None
        when the copy does not hold it."""
        for passage, text in target_passages:
            if text.locate(original.text) is not None:
                return replace(passage, **_scores_of(max(original, passage, key=lambda p: p.score)))
        template = target_passages[0][0]
        doc_id = template.doc_id
        if doc_id not in texts:
            document = self.detector.store.get_document(doc_id)
            texts[doc_id] = None if document is None else SquashedText(document.text)
        whole = texts[doc_id]
        span = None if whole is None else whole.locate(original.text)
        if whole is None or span is None:
            return None
        start, end = span
        chunk = next((c for c in self.detector.store.get_chunks(doc_id) if c.char_start <= start < c.char_end), None)
        if chunk is None:
            return None
        return replace(
            template, chunk_id=chunk.chunk_id, section=chunk.section, text=whole.text[start:end],
            char_start=start, char_end=end, **_scores_of(original),
        )


def _scores_of(passage: Passage) -> dict[str, float]:
    return {
        "score": passage.score, "retrieval_score": passage.retrieval_score, "coverage": passage.coverage, "dense": passage.dense,
    }


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
