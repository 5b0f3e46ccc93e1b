"""One citation per policy when the library holds it several times (a web page, a DOCX, a PDF and the plain text).

The pipeline step between the reranker and the relevance gate: a passage of a copy becomes the preferred copy's
passage holding the same text (:func:`index.copy_collapse.collapse_copies`), so the answer cites the most faithful
copy and the related-policy list names each policy once.
"""

from __future__ import annotations

from typing import Any

from haystack import component

from index.copy_collapse import collapse_copies
from index.document_copies import CopyDetector
from qa.types import Passage


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
        return {"passages": collapse_copies(passages, self.detector, _relevance_of).items}


def _relevance_of(passage: Passage) -> dict[str, float]:
    return {
        "score": passage.score, "retrieval_score": passage.retrieval_score, "coverage": passage.coverage, "dense": passage.dense,
    }
