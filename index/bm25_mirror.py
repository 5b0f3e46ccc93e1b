"""BM25 scored in memory from sparse term-frequency matrices mirrored from the SQLite index.

FTS5 stays the durable store of each chunk's tokens; scoring every row a query token matches inside SQLite's
``bm25()`` was the slowest part of a search on the whole library (tokens held by many thousands of chunks). Here
the same formula — FTS5's: one BM25 over the heading and body columns, heading term frequencies weighted, document
length and average length over both columns, idf = ln((N − n + 0.5) / (n + 0.5)) floored at 1e-6 — runs as a few
vectorised sums over each query token's postings. One difference: a token is the jieba token as stored, where
FTS5's unicode61 tokenizer would cut 50% or 0.5 further; chunk lengths, and so scores, differ by < 1 %
(``tests/test_sqlite_store.py`` compares both on real documents).

The mirror is kept in step like Lucene keeps an index: added chunks become a new segment, deleted ones are masked out
of theirs; the small segments are merged when there are too many, and all of them when a quarter of the chunks they
hold is deleted. A snapshot
(:class:`_Segments`) is never changed once published, so searches read it without a lock.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass

import numpy as np
from scipy import sparse

_K1 = 1.2
_B = 0.75
_MIN_IDF = 1e-6
_MAX_SEGMENTS = 8
_MAX_DELETED_SHARE = 0.25
_FETCH_BATCH = 900  # rowids per ``IN (…)``: SQLite's default limit of bound parameters is 999


@dataclass(frozen=True)
class _Segment:
    rowids: np.ndarray  # int64, ascending
    lengths: np.ndarray  # float64: tokens in heading and body
    frequencies: sparse.csc_array  # rows: chunks, columns: vocabulary ids; heading counts weighted
    live: np.ndarray  # bool

    def postings(self, column: int) -> tuple[np.ndarray, np.ndarray]:
        if column >= self.frequencies.shape[1]:
            return _NO_ROWS, _NO_FREQUENCIES
        start, end = self.frequencies.indptr[column], self.frequencies.indptr[column + 1]
        rows = self.frequencies.indices[start:end]
        keep = self.live[rows]
        return rows[keep], self.frequencies.data[start:end][keep]


_NO_ROWS = np.zeros(0, dtype=np.int32)
_NO_FREQUENCIES = np.zeros(0, dtype=np.float32)


@dataclass(frozen=True)
class _Segments:
    """One published state of the mirror."""

    generation: int
    vocabulary: dict[str, int]
    segments: tuple[_Segment, ...]
    chunks: int = 0
    total_length: float = 0.0


class Bm25Mirror:
    """BM25 over every chunk's heading and body tokens, in memory, refreshed when the index generation changes.

    >>> mirror.refresh(connection, generation)
    >>> mirror.search(["高新技术企业", "补贴"], top_k=5)  # [(rowid, score), …], best first
    """

    def __init__(self, heading_weight: float) -> None:
        self.heading_weight = heading_weight
        self._state = _Segments(generation=-1, vocabulary={}, segments=())

    def refresh(self, connection: sqlite3.Connection, generation: int) -> None:
        """Bring the mirror to the index as ``connection`` sees it; callers serialise refreshes.

        The reads run in one transaction, so the mirror matches one committed state of the index.
        """
        state = self._state
        if generation == state.generation:
            return
        connection.execute("BEGIN")
        try:
            current = np.fromiter((row[0] for row in connection.execute("SELECT rowid FROM chunk_fts")), dtype=np.int64)
            segments = _mask_deleted(state.segments, current)
            known = np.concatenate([s.rowids for s in state.segments]) if state.segments else np.zeros(0, np.int64)
            added = np.setdiff1d(current, known)
            vocabulary = dict(state.vocabulary)  # published snapshots keep their own
            if len(added):
                segments.append(self._segment(connection, added, vocabulary))
        finally:
            connection.execute("COMMIT")
        if sum(int((~segment.live).sum()) for segment in segments) > _MAX_DELETED_SHARE * max(len(current), 1):
            segments = [_merge(segments, len(vocabulary))]
        elif len(segments) > _MAX_SEGMENTS:
            # Merge the small segments of recent writes; the big one stays (re-merging it is the costly part).
            largest = max(segments, key=lambda segment: len(segment.rowids))
            segments = [largest, _merge([s for s in segments if s is not largest], len(vocabulary))]
        live_lengths = sum(float(s.lengths[s.live].sum()) for s in segments)
        self._state = _Segments(generation, vocabulary, tuple(segments), len(current), live_lengths)

    def search(self, tokens: list[str], top_k: int, allowed_rowids: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The ``top_k`` chunks by BM25 as ``(rowid, score)``, best first; only chunks that hold a query token."""
        state = self._state
        columns = [state.vocabulary[t] for t in dict.fromkeys(tokens) if t in state.vocabulary]
        if not columns or top_k <= 0 or state.chunks == 0:
            return []
        average_length = state.total_length / state.chunks
        postings = [[segment.postings(column) for segment in state.segments] for column in columns]
        found_rowids: list[np.ndarray] = []
        found_scores: list[np.ndarray] = []
        for index, segment in enumerate(state.segments):
            scores: np.ndarray | None = None
            for per_segment in postings:
                rows, frequencies = per_segment[index]
                if not len(rows):
                    continue
                holders = sum(len(p[0]) for p in per_segment)
                idf = max(math.log((state.chunks - holders + 0.5) / (holders + 0.5)), _MIN_IDF)
                norm = _K1 * (1 - _B + _B * segment.lengths[rows] / average_length)
                if scores is None:
                    scores = np.zeros(len(segment.rowids), dtype=np.float64)
                scores[rows] += idf * frequencies * (_K1 + 1) / (frequencies + norm)
            if scores is None:
                continue
            matched = np.flatnonzero(scores)
            rowids = segment.rowids[matched]
            if allowed_rowids is not None:
                inside = np.isin(rowids, allowed_rowids)
                matched, rowids = matched[inside], rowids[inside]
            found_rowids.append(rowids)
            found_scores.append(scores[matched])
        if not found_rowids:
            return []
        rowids, scores = np.concatenate(found_rowids), np.concatenate(found_scores)
        k = min(top_k, len(scores))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.lexsort((rowids[best], -scores[best]))]  # ties: the older chunk first, as FTS5 does
        return [(int(rowids[i]), float(scores[i])) for i in best]

    def _segment(self, connection: sqlite3.Connection, rowids: np.ndarray, vocabulary: dict[str, int]) -> _Segment:
        rows: list[int] = []
        columns: list[int] = []
        weights: list[float] = []
        lengths = np.zeros(len(rowids), dtype=np.float64)
        position = {int(rowid): i for i, rowid in enumerate(rowids)}
        for start in range(0, len(rowids), _FETCH_BATCH):
            batch = rowids[start : start + _FETCH_BATCH].tolist()
            marks = ",".join("?" * len(batch))
            for rowid, heading, body in connection.execute(
                f"SELECT rowid, heading_tokens, body_tokens FROM chunk_fts WHERE rowid IN ({marks})", batch
            ):
                row = position[rowid]
                heading_tokens, body_tokens = heading.split(), body.split()
                lengths[row] = len(heading_tokens) + len(body_tokens)
                for tokens, weight in ((heading_tokens, self.heading_weight), (body_tokens, 1.0)):
                    columns.extend(vocabulary.setdefault(token, len(vocabulary)) for token in tokens)
                    rows.extend([row] * len(tokens))
                    weights.extend([weight] * len(tokens))
        # Duplicate (row, column) pairs are summed: the weighted term frequency.
        frequencies = sparse.coo_array(
            (np.asarray(weights, dtype=np.float32), (np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32))),
            shape=(len(rowids), len(vocabulary)),
        ).tocsc()
        frequencies.sum_duplicates()
        return _Segment(rowids, lengths, frequencies, np.ones(len(rowids), dtype=bool))


def _mask_deleted(segments: tuple[_Segment, ...], current: np.ndarray) -> list[_Segment]:
    """Segments with chunks no longer in the index masked out (as new segments: snapshots are never changed)."""
    masked: list[_Segment] = []
    for segment in segments:
        live = segment.live & np.isin(segment.rowids, current)
        if not live.any():
            continue
        masked.append(segment if np.array_equal(live, segment.live) else _Segment(segment.rowids, segment.lengths, segment.frequencies, live))
    return masked


def _merge(segments: list[_Segment], vocabulary_size: int) -> _Segment:
    """One segment holding the live chunks of ``segments``, in rowid order."""
    parts = []
    for segment in segments:
        frequencies = segment.frequencies[segment.live]
        frequencies.resize((frequencies.shape[0], vocabulary_size))
        parts.append((segment.rowids[segment.live], segment.lengths[segment.live], frequencies))
    rowids = np.concatenate([p[0] for p in parts])
    order = np.argsort(rowids, kind="stable")
    frequencies = sparse.vstack([p[2] for p in parts], format="csr")[order].tocsc()
    return _Segment(rowids[order], np.concatenate([p[1] for p in parts])[order], frequencies, np.ones(len(rowids), dtype=bool))
