"""The embedded backend: one SQLite file (WAL) holds documents, chunks, an FTS5 index and the vectors.

FTS5 holds the space-joined jieba tokens of each chunk (heading and body columns); BM25 over them is scored in
memory by :class:`index.bm25_mirror.Bm25Mirror`, with FTS5's formula (heading terms weighted higher), and dense
search is exact cosine over an in-memory matrix mirrored from the ``chunks`` table. Both mirrors follow the index
by its generation counter. Every document write is one transaction, so a killed process leaves each document
either wholly present or absent, and readers (other processes included) never see a half-replaced document.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np

from index.bm25_mirror import Bm25Mirror
from index.records import document_from_record, metadata_to_json
from index.storage_errors import classify_write_error
from index.types import ChunkHit, IndexedChunk, PolicyDocument, SearchFilters, StoreError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    source_format TEXT NOT NULL,
    text TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    title TEXT,
    issuer TEXT,
    doc_number TEXT,
    status TEXT NOT NULL,
    effective_date TEXT,
    expiry_date TEXT,
    region TEXT,
    tags TEXT NOT NULL,
    doc_date TEXT,
    ingested_at TEXT NOT NULL,
    original_file TEXT,
    chunk_count INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_content_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    chunk_id TEXT NOT NULL UNIQUE,
    doc_id TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    text TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    section TEXT NOT NULL,
    tokens TEXT NOT NULL,
    embedding BLOB
);
CREATE INDEX IF NOT EXISTS chunks_doc_id ON chunks(doc_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(heading_tokens, body_tokens, tokenize='unicode61 remove_diacritics 0');
CREATE TABLE IF NOT EXISTS store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO store_meta(key, value) VALUES ('generation', '0');
"""

# The status a document has today (policy.types.current_status): an explicit 已失效 stays; then the dates decide;
# otherwise 已被修订 and 时效不确定 stay as stored.
_CURRENT_STATUS_SQL = """
CASE
    WHEN d.status = '已失效' THEN '已失效'
    WHEN d.expiry_date IS NOT NULL AND d.expiry_date < :today THEN '已失效'
    WHEN d.effective_date IS NOT NULL AND d.effective_date > :today THEN '尚未施行'
    WHEN d.status IN ('已被修订', '时效不确定') THEN d.status
    ELSE '现行有效'
END
"""

_HEADING_COLUMN_WEIGHT = 2.0
_DOCUMENT_COLUMNS_WITHOUT_TEXT = (
    "doc_id", "path", "content_hash", "source_format", "metadata_json", "ingested_at", "original_file", "chunk_count",
)
_COLUMNS_WITHOUT_TEXT = ", ".join(_DOCUMENT_COLUMNS_WITHOUT_TEXT)
_CHUNK_COLUMNS = "rowid, chunk_id, doc_id, ordinal, text, char_start, char_end, section, tokens, embedding"
# What a search hit needs: not the token lists (reading and splitting them was the costly part of this read).
_HIT_COLUMNS = "rowid, chunk_id, doc_id, ordinal, text, char_start, char_end, section, '', NULL"
_SqlParameters: TypeAlias = Sequence[Any] | Mapping[str, Any]


class _VectorMirror:
    """Chunk embeddings of the table, as one normalised matrix, kept in step by rowid diffs."""

    def __init__(self) -> None:
        self.rowids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, 0), dtype=np.float32)
        self.generation = -1

    def refresh(self, connection: sqlite3.Connection, generation: int) -> None:
        if generation == self.generation:
            return
        current = np.fromiter(
            (row[0] for row in connection.execute("SELECT rowid FROM chunks WHERE embedding IS NOT NULL ORDER BY rowid")),
            dtype=np.int64,
        )
        keep = np.isin(self.rowids, current)
        added = current[~np.isin(current, self.rowids)]
        rowids = self.rowids[keep]
        matrix = self.matrix[keep] if len(self.matrix) else self.matrix
        if len(added):
            new_vectors: list[np.ndarray] = []
            for start in range(0, len(added), 900):
                batch = added[start : start + 900].tolist()
                marks = ",".join("?" * len(batch))
                by_rowid = dict(connection.execute(f"SELECT rowid, embedding FROM chunks WHERE rowid IN ({marks})", batch).fetchall())
                new_vectors.extend(np.frombuffer(by_rowid[r], dtype=np.float32) for r in batch if r in by_rowid)
            stacked = np.vstack(new_vectors).astype(np.float32)
            stacked /= np.maximum(np.linalg.norm(stacked, axis=1, keepdims=True), 1e-12)  # scores are cosines
            matrix = stacked if matrix.size == 0 else np.vstack([matrix, stacked])
            rowids = np.concatenate([rowids, added[: len(stacked)]])
        order = np.argsort(rowids)
        self.rowids, self.matrix, self.generation = rowids[order], matrix[order] if len(matrix) else matrix, generation


class SqlitePolicyStore:
    """The default, embedded :class:`index.types.PolicyStore`: a single SQLite file, no server.

    >>> store = SqlitePolicyStore(Path("data/index.sqlite3"))
    >>> store.bm25_search(["高新技术企业", "补贴"], top_k=5)
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        try:
            self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30.0)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.execute("PRAGMA foreign_keys=ON")
            self._connection.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise classify_write_error(error, path.parent) or StoreError(f"无法打开索引文件 {path}：{error}") from error
        self._vectors = _VectorMirror()
        self._bm25 = Bm25Mirror(heading_weight=_HEADING_COLUMN_WEIGHT)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._document_columns = tuple(
            d[0] for d in self._connection.execute("SELECT * FROM documents LIMIT 0").description
        )

    # --- writes -------------------------------------------------------------------------------------------

    def replace_document(self, document: PolicyDocument, chunks: list[IndexedChunk]) -> None:
        metadata = document.metadata
        doc_date = metadata.publish_date or metadata.written_date
        ingested_at = document.ingested_at or datetime.now(UTC).isoformat(timespec="seconds")
        with self._lock, self._transaction() as connection:
            self._delete_rows(connection, document.doc_id)
            connection.execute(
                """INSERT INTO documents(doc_id, path, content_hash, source_format, text, metadata_json, title, issuer,
                       doc_number, status, effective_date, expiry_date, region, tags, doc_date, ingested_at,
                       original_file, chunk_count)
                   VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (
                    document.doc_id, document.path, document.content_hash, document.source_format, document.text,
                    metadata_to_json(metadata), metadata.title, metadata.issuer, metadata.doc_number,
                    metadata.status.value, _iso(metadata.effective_date), _iso(metadata.expiry_date), metadata.region,
                    " " + " ".join(metadata.tags) + " ", _iso(doc_date), ingested_at, document.original_file, len(chunks),
                ),
            )
            for chunk in chunks:
                cursor = connection.execute(
                    """INSERT INTO chunks(chunk_id, doc_id, ordinal, text, char_start, char_end, section, tokens, embedding)
                       VALUES (?,?,?,?,?,?,?,?,?)""",
                    (
                        chunk.chunk_id, document.doc_id, chunk.ordinal, chunk.text, chunk.char_start, chunk.char_end,
                        chunk.section, " ".join(chunk.tokens),
                        None if chunk.embedding is None else np.asarray(chunk.embedding, dtype=np.float32).tobytes(),
                    ),
                )
                connection.execute(
                    "INSERT INTO chunk_fts(rowid, heading_tokens, body_tokens) VALUES (?,?,?)",
                    (cursor.lastrowid, " ".join(chunk.heading_tokens), " ".join(chunk.tokens)),
                )
            _bump_generation(connection)

    def delete_document(self, doc_id: str) -> bool:
        with self._lock, self._transaction() as connection:
            deleted = self._delete_rows(connection, doc_id)
            if deleted:
                _bump_generation(connection)
        return deleted

    def _delete_rows(self, connection: sqlite3.Connection, doc_id: str) -> bool:
        connection.execute("DELETE FROM chunk_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_id = ?)", (doc_id,))
        connection.execute("DELETE FROM chunks WHERE doc_id = ?", (doc_id,))
        return connection.execute("DELETE FROM documents WHERE doc_id = ?", (doc_id,)).rowcount > 0

    # --- reads --------------------------------------------------------------------------------------------

    def get_document(self, doc_id: str) -> PolicyDocument | None:
        row = self._read_one("SELECT * FROM documents WHERE doc_id = ?", (doc_id,))
        return None if row is None else self._document_from_row(row)

    def describe_documents(self, doc_ids: list[str]) -> dict[str, PolicyDocument]:
        unique = list(dict.fromkeys(doc_ids))
        if not unique:
            return {}
        marks = ",".join("?" * len(unique))
        rows = self._read(f"SELECT {_COLUMNS_WITHOUT_TEXT} FROM documents WHERE doc_id IN ({marks})", unique)
        return {row[0]: self._document_from_row(row, _DOCUMENT_COLUMNS_WITHOUT_TEXT) for row in rows}

    def find_by_hash(self, content_hash: str) -> PolicyDocument | None:
        row = self._read_one("SELECT * FROM documents WHERE content_hash = ? LIMIT 1", (content_hash,))
        return None if row is None else self._document_from_row(row)

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[PolicyDocument]:
        rows = self._read("SELECT * FROM documents ORDER BY ingested_at DESC, doc_id LIMIT ? OFFSET ?", (limit, offset))
        return [self._document_from_row(row) for row in rows]

    def count_documents(self) -> int:
        return int(self._read_value("SELECT count(*) FROM documents"))

    def count_chunks(self) -> int:
        return int(self._read_value("SELECT count(*) FROM chunks"))

    def get_chunks(self, doc_id: str) -> list[IndexedChunk]:
        rows = self._read(f"SELECT {_CHUNK_COLUMNS} FROM chunks WHERE doc_id = ? ORDER BY ordinal", (doc_id,))
        return [_chunk_from_row(row) for row in rows]

    def bm25_search(self, tokens: list[str], top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        if top_k <= 0:
            return []
        with self._lock:
            self._bm25.refresh(self._reader(), self._generation())
        ranked = self._bm25.search([token for token in tokens if token.strip()], top_k, self._filtered_rowids(filters))
        chunks = self._chunks_by_rowid([rowid for rowid, _ in ranked])
        return [
            ChunkHit(chunk=chunks[rowid], score=score, rank=rank, scores={"bm25": score})
            for rank, (rowid, score) in enumerate(ranked, start=1)
            if rowid in chunks
        ]

    def embedding_search(self, query_embedding: np.ndarray, top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        with self._lock:
            self._vectors.refresh(self._reader(), self._generation())
            rowids, matrix = self._vectors.rowids, self._vectors.matrix
        if len(rowids) == 0 or top_k <= 0:
            return []
        scores = matrix @ np.asarray(query_embedding, dtype=np.float32)
        allowed = self._filtered_rowids(filters)
        if allowed is not None:
            scores = np.where(np.isin(rowids, allowed), scores, -np.inf)
        k = min(top_k, len(scores))
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best])]
        best = best[np.isfinite(scores[best])]
        chunks = self._chunks_by_rowid([int(rowids[i]) for i in best])
        hits = []
        for rank, index in enumerate(best, start=1):
            rowid = int(rowids[index])
            if rowid in chunks:
                score = float(scores[index])
                hits.append(ChunkHit(chunk=chunks[rowid], score=score, rank=rank, scores={"dense": score}))
        return hits

    def _filtered_rowids(self, filters: SearchFilters | None) -> np.ndarray | None:
        """Rowids of the chunks the filters allow; None when there are no filters."""
        if filters is None or filters.is_empty():
            return None
        filter_sql, params = _filter_clause(filters)
        rows = self._read(f"SELECT c.rowid FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE {filter_sql}", params)
        return np.fromiter((row[0] for row in rows), dtype=np.int64)

    def close(self) -> None:
        with self._lock:
            for connection in self._readers:
                connection.close()
            self._readers.clear()
            self._connection.close()

    # --- helpers ------------------------------------------------------------------------------------------

    def _reader(self) -> sqlite3.Connection:
        """This thread's read connection: WAL lets readers run beside the writer and each other."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, check_same_thread=False, timeout=30.0, isolation_level=None)
            self._local.connection = connection
            with self._lock:
                self._readers.append(connection)
        return connection

    def _read(self, sql: str, params: _SqlParameters = ()) -> list[tuple[Any, ...]]:
        return self._reader().execute(sql, params).fetchall()

    def _read_one(self, sql: str, params: _SqlParameters = ()) -> tuple[Any, ...] | None:
        return self._reader().execute(sql, params).fetchone()

    def _read_value(self, sql: str) -> Any:
        """The first column of a query that always returns one row (a count, a stored counter)."""
        return self._reader().execute(sql).fetchone()[0]

    def _generation(self) -> int:
        return int(self._read_value("SELECT value FROM store_meta WHERE key = 'generation'"))

    def _chunks_by_rowid(self, rowids: list[int]) -> dict[int, IndexedChunk]:
        """The chunks a search found, without their tokens and embedding (see :class:`index.types.ChunkHit`)."""
        if not rowids:
            return {}
        marks = ",".join("?" * len(rowids))
        rows = self._read(f"SELECT {_HIT_COLUMNS} FROM chunks WHERE rowid IN ({marks})", rowids)
        return {row[0]: _chunk_from_row(row) for row in rows}

    def _document_from_row(self, row: tuple[Any, ...], columns: tuple[str, ...] | None = None) -> PolicyDocument:
        values = dict(zip(columns or self._document_columns, row, strict=True))
        values["metadata"] = json.loads(values.pop("metadata_json"))
        return document_from_record(values)

    class _Transaction:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any error; a full or read-only disk becomes the clear error."""

        def __init__(self, connection: sqlite3.Connection, location: Path) -> None:
            self.connection = connection
            self.location = location

        def __enter__(self) -> sqlite3.Connection:
            try:
                self.connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                self._raise_clear(error)
            return self.connection

        def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
            if exc is None:
                try:
                    self.connection.execute("COMMIT")
                    return
                except sqlite3.Error as error:
                    exc = error
            # SQLite may already have rolled back by itself (e.g. on SQLITE_FULL).
            if self.connection.in_transaction:
                self.connection.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                self._raise_clear(exc)

        def _raise_clear(self, error: sqlite3.Error) -> None:
            clear = classify_write_error(error, self.location)
            if clear is not None:
                raise clear from error
            raise error

    def _transaction(self) -> SqlitePolicyStore._Transaction:
        return SqlitePolicyStore._Transaction(self._connection, self.path.parent)


def _bump_generation(connection: sqlite3.Connection) -> None:
    connection.execute("UPDATE store_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'generation'")


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _chunk_from_row(row: tuple[Any, ...]) -> IndexedChunk:
    _, chunk_id, doc_id, ordinal, text, char_start, char_end, section, tokens, embedding = row
    return IndexedChunk(
        chunk_id=chunk_id,
        doc_id=doc_id,
        ordinal=ordinal,
        text=text,
        char_start=char_start,
        char_end=char_end,
        section=section,
        tokens=tokens.split(),
        embedding=None if embedding is None else np.frombuffer(embedding, dtype=np.float32),
    )


def _filter_clause(filters: SearchFilters | None) -> tuple[str, dict[str, object]]:
    """SQL over ``documents d`` for the filters, with named parameters."""
    if filters is None or filters.is_empty():
        return "", {}
    clauses: list[str] = []
    params: dict[str, object] = {}
    if filters.region:
        clauses.append("d.region LIKE :region_prefix ESCAPE '\\'")
        params["region_prefix"] = _like_escape(filters.region) + "%"
    if filters.issuer:
        clauses.append("d.issuer LIKE :issuer_part ESCAPE '\\'")
        params["issuer_part"] = "%" + _like_escape(filters.issuer) + "%"
    if filters.status:
        clauses.append(f"({_CURRENT_STATUS_SQL}) = :status")
        params["status"] = filters.status
        params["today"] = date.today().isoformat()
    if filters.tag:
        clauses.append("d.tags LIKE :tag_part ESCAPE '\\'")
        params["tag_part"] = "% " + _like_escape(filters.tag) + " %"
    if filters.date_from:
        clauses.append("d.doc_date >= :date_from")
        params["date_from"] = filters.date_from.isoformat()
    if filters.date_to:
        clauses.append("d.doc_date <= :date_to")
        params["date_to"] = filters.date_to.isoformat()
    if filters.doc_ids:
        names = [f"doc_id_{i}" for i in range(len(filters.doc_ids))]
        clauses.append(f"d.doc_id IN ({','.join(':' + n for n in names)})")
        params.update(zip(names, filters.doc_ids, strict=True))
    return " AND ".join(clauses), params


def _like_escape(value: str) -> str:
    """``value`` matched literally by ``LIKE … ESCAPE '\\'``: ``%`` and ``_`` are not wildcards in a filter."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
