"""Whether an indexed document is a copy of another: the same text saved as DOCX, PDF or a web page.

A library can hold one policy several times (the government site's page, the PDF attachment, a DOCX made from it).
Evaluations name one of them as the gold source; a search or an answer that cites another copy found the right
policy. A copy is recognised by its text: at least ``threshold`` of the shorter text's 8-character shingles
(whitespace removed) occur in the longer one, which tolerates a web page's navigation and a PDF's line breaks.
"""

from __future__ import annotations

import re

from index.evaluation import path_matches
from index.types import PolicyStore

_SHINGLE = 8
_SPACE = re.compile(r"\s+")


def shingles(text: str) -> set[str]:
    squashed = _SPACE.sub("", text)
    return {squashed[i : i + _SHINGLE] for i in range(max(1, len(squashed) - _SHINGLE + 1))}


def containment(a: set[str], b: set[str]) -> float:
    """Share of the smaller set found in the larger one."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small & large) / len(small) if small else 0.0


class CopyMatcher:
    """``matches(indexed_path, gold_path)``: the indexed document is the gold one or a copy of it (in ``store``).

    >>> CopyMatcher(store).matches("/corpus/library/guangzhou_html/13_….html", "guangzhou/doc_14.txt")
    True
    """

    def __init__(self, store: PolicyStore, threshold: float = 0.7) -> None:
        self.store = store
        self.threshold = threshold
        self._doc_ids_by_path: dict[str, str] | None = None
        self._shingles: dict[str, set[str]] = {}
        self._verdicts: dict[tuple[str, str], bool] = {}

    def matches(self, indexed_path: str, gold_path: str) -> bool:
        if path_matches(indexed_path, gold_path):
            return True
        key = (indexed_path, gold_path)
        if key not in self._verdicts:
            gold = self._stored_path(gold_path)
            self._verdicts[key] = gold is not None and containment(self._text_shingles(indexed_path), self._text_shingles(gold)) >= self.threshold
        return self._verdicts[key]

    def _stored_path(self, gold_path: str) -> str | None:
        return next((path for path in self._doc_ids() if path_matches(path, gold_path)), None)

    def _doc_ids(self) -> dict[str, str]:
        """Document id by stored path, read from the store once."""
        if self._doc_ids_by_path is None:
            self._doc_ids_by_path = {}
            offset = 0
            while batch := self.store.list_documents(limit=500, offset=offset):
                self._doc_ids_by_path.update((document.path, document.doc_id) for document in batch)
                offset += len(batch)
        return self._doc_ids_by_path

    def _text_shingles(self, path: str) -> set[str]:
        if path not in self._shingles:
            doc_id = self._doc_ids().get(path)
            document = self.store.get_document(doc_id) if doc_id else None
            self._shingles[path] = shingles(document.text) if document else set()
        return self._shingles[path]
