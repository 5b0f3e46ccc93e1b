"""The Elasticsearch backend: the same :class:`index.types.PolicyStore` contract as the embedded index, on a cluster.

* BM25 and filters: :mod:`index.elasticsearch.queries`. Dense search is a top-level ``knn`` query on a cosine
  ``dense_vector``; scores are turned back into cosine.
* Writes go through ``_bulk`` in batches (:mod:`index.elasticsearch.bulk`). Each write has a *revision*: the chunks
  of the new revision are written first, then the document record, which names the current revision, then the
  chunks of older revisions are deleted. Readers only return chunks of the revision their document names, so a
  reader never sees half of a replaced document, and a write interrupted by a failure leaves the previous version
  (or nothing) visible until it is retried — never a duplicate.
* Fusion of the two rankings happens in the client (``index.retrieval``): server-side RRF needs a paid licence.

>>> store = ElasticsearchPolicyStore.connect(ElasticsearchStoreConfig(ElasticsearchConnection("http://127.0.0.1:9200"), IndexLayout()))
>>> store.bm25_search(["高新技术企业", "补贴"], top_k=5)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch, NotFoundError

from index.elasticsearch.bulk import BulkAction, BulkFailure, BulkSender, BulkWriteReport, FailureKind
from index.elasticsearch.codecs import FILTER_ONLY_CHUNK_FIELDS, chunk_from_source, chunk_source, document_source
from index.elasticsearch.config import ElasticsearchStoreConfig
from index.elasticsearch.errors import (
    BulkWriteError,
    ElasticsearchUnavailable,
    IndexMissingError,
    MappingConflictError,
    index_missing_message,
    is_index_missing,
    translated_errors,
)
from index.elasticsearch.highlight import HIGHLIGHT_REQUEST, PassageHighlight, best_sentence, marked_terms
from index.elasticsearch.mapping import IndexLayout, create_versioned_indices
from index.elasticsearch.queries import filter_clauses, query_text, text_queries
from index.records import document_from_record
from index.types import ChunkHit, IndexedChunk, PolicyDocument, SearchFilters

logger = logging.getLogger(__name__)

_MAX_WINDOW = 10_000  # index.max_result_window and the knn num_candidates ceiling
_HIT_SOURCE_EXCLUDES = ["embedding", *FILTER_ONLY_CHUNK_FIELDS]
_LIST_ORDER = [{"ingested_at": "desc"}, {"doc_id": "asc"}]


class ElasticsearchPolicyStore:
    """A :class:`index.types.PolicyStore` on an Elasticsearch 8.x cluster.

    >>> store = ElasticsearchPolicyStore(Elasticsearch("http://127.0.0.1:9200"), IndexLayout(prefix="policykb"))
    >>> store.ensure_indices()
    >>> store.embedding_search(query_vector, top_k=5, filters=SearchFilters(region="广东省"))
    """

    def __init__(
        self,
        client: Elasticsearch,
        layout: IndexLayout,
        *,
        url: str = "",
        bulk_batch_size: int = 500,
        max_retries: int = 3,
        retry_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
    ) -> None:
        self.client = client
        self.layout = layout
        self.url = url or _client_url(client)
        self._bulk = BulkSender(
            client, url=self.url, missing_index=layout.chunks_alias, batch_size=bulk_batch_size,
            max_retries=max_retries, retry_backoff_s=retry_backoff_s, max_backoff_s=max_backoff_s,
        )
        self._list_cursors: dict[int, list[Any]] = {}  # list_documents offset -> sort values of the hit before it

    @classmethod
    def connect(cls, config: ElasticsearchStoreConfig) -> ElasticsearchPolicyStore:
        """The store ``policykb.assembly.build_store`` uses when ``index_backend`` is ``elasticsearch``; creates the
        indices when their aliases are absent.

        :raises ElasticsearchStoreError: when the cluster cannot be reached or used (the message says what to fix).
        """
        connection = config.connection
        store = cls(
            connection.client(), config.layout, url=connection.url,
            bulk_batch_size=config.bulk_batch_size, max_retries=connection.max_retries,
        )
        store.ensure_indices()
        return store

    @property
    def bulk_batch_size(self) -> int:
        return self._bulk.batch_size

    # --- indices ------------------------------------------------------------------------------------------

    def ensure_indices(self) -> bool:
        """Create version 1 of both indices with their aliases when the aliases are absent; True when it created them."""
        layout = self.layout
        with translated_errors(self.url, layout.chunks_alias):
            present = [self.client.indices.exists_alias(name=a).body for a in (layout.documents_alias, layout.chunks_alias)]
            if all(present):
                return False
            for alias in (layout.documents_alias, layout.chunks_alias):
                if not self.client.indices.exists_alias(name=alias).body and self.client.indices.exists(index=alias).body:
                    raise IndexMissingError(
                        f"{alias} 是一个普通索引而不是别名（可能是在别名缺失时自动创建的）。请确认其中没有需要的数据后删除它，"
                        f"再启动 PolicyKB；或用 `policykb es check` 查看。"
                    )
            if any(present):
                missing = [a for a, p in zip((layout.documents_alias, layout.chunks_alias), present, strict=True) if not p]
                raise IndexMissingError(index_missing_message("、".join(missing)))
            create_versioned_indices(self.client, layout, 1)
            self.client.indices.update_aliases(actions=[
                {"add": {"index": layout.documents_index(1), "alias": layout.documents_alias, "is_write_index": True}},
                {"add": {"index": layout.chunks_index(1), "alias": layout.chunks_alias, "is_write_index": True}},
            ])
        return True

    def drop_indices(self) -> None:
        """Delete every index behind this installation's aliases (tests and `reset`; irreversible)."""
        layout = self.layout
        for alias in (layout.documents_alias, layout.chunks_alias):
            try:
                names = list(self.client.indices.get_alias(name=alias).body)
            except NotFoundError:
                continue
            if names:
                self.client.indices.delete(index=",".join(names), ignore_unavailable=True)

    # --- writes -------------------------------------------------------------------------------------------

    def replace_document(self, document: PolicyDocument, chunks: list[IndexedChunk]) -> None:
        report = self.replace_documents([(document, chunks)])
        if not report.ok:
            raise BulkWriteError(f"文档 {document.doc_id}（{document.path}）未能写入：{report.failed[document.doc_id]}", report.failed)

    def replace_documents(self, items: Sequence[tuple[PolicyDocument, list[IndexedChunk]]]) -> BulkWriteReport:
        """Write many documents in bulk (one refresh at the end); each replaces its earlier version completely.

        :returns: the doc_ids written and, for the others, why not. Retrying the failed ones is safe: ids are
            stable and stale chunks are removed, so nothing is duplicated.
        :raises MappingConflictError: when the index mapping refuses a record (no retry can fix that).
        :raises IndexMissingError: when the aliases are gone.
        """
        latest = {document.doc_id: (document, chunks) for document, chunks in items}
        self._list_cursors.clear()
        revision = uuid.uuid4().hex
        indexed_at = datetime.now(UTC).isoformat(timespec="seconds")
        chunk_actions = [
            BulkAction(doc_id, {"index": {"_index": self.layout.chunks_alias, "_id": f"{chunk.chunk_id}@{revision}"}},
                       chunk_source(document, chunk, revision))
            for doc_id, (document, chunks) in latest.items()
            for chunk in chunks
        ]
        failed = self._bulk.send(chunk_actions)
        document_actions = [
            BulkAction(doc_id, {"index": {"_index": self.layout.documents_alias, "_id": doc_id}},
                       document_source(document, chunks, revision, indexed_at))
            for doc_id, (document, chunks) in latest.items()
            if doc_id not in failed
        ]
        failed.update(self._bulk.send(document_actions))
        written = [doc_id for doc_id in latest if doc_id not in failed]
        self._delete_stale_chunks(written, revision, failed)
        report = BulkWriteReport(written=written, failed={doc_id: failure.reason for doc_id, failure in failed.items()})
        conflicts = {doc_id: failure.reason for doc_id, failure in failed.items() if failure.kind == FailureKind.MAPPING}
        if conflicts:
            first = next(iter(conflicts))
            raise MappingConflictError(
                f"索引映射拒绝了 {len(conflicts)} 个文档（如 {first}：{conflicts[first]}）。重试不会成功："
                f"请运行 `policykb es check` 核对映射；若更换了嵌入模型（维度不同），需要新的索引前缀并重新入库。"
            )
        if any(failure.kind == FailureKind.MISSING for failure in failed.values()):
            raise IndexMissingError(index_missing_message(f"{self.layout.documents_alias} / {self.layout.chunks_alias}"))
        return report

    def delete_document(self, doc_id: str) -> bool:
        layout = self.layout
        self._list_cursors.clear()
        with translated_errors(self.url, layout.documents_alias):
            try:
                self.client.delete(index=layout.documents_alias, id=doc_id, refresh=True)
                existed = True
            except NotFoundError as error:
                if is_index_missing(error):
                    raise
                existed = False
            # Chunks are invisible once the document is gone; delete them too (also orphans of a failed write).
            self.client.delete_by_query(
                index=layout.chunks_alias, query={"term": {"doc_id": doc_id}}, refresh=True, conflicts="proceed"
            )
        return existed

    def _delete_stale_chunks(self, written: list[str], revision: str, failed: dict[str, BulkFailure]) -> None:
        """Remove chunks of older revisions of the written documents, and the new chunks of the failed ones."""
        layout = self.layout
        try:
            with translated_errors(self.url, layout.chunks_alias):
                for start in range(0, len(written), 1000):
                    self.client.delete_by_query(
                        index=layout.chunks_alias,
                        query={"bool": {"filter": [{"terms": {"doc_id": written[start : start + 1000]}}],
                                        "must_not": [{"term": {"revision": revision}}]}},
                        conflicts="proceed", refresh=False,
                    )
                failed_ids = list(failed)
                for start in range(0, len(failed_ids), 1000):
                    self.client.delete_by_query(
                        index=layout.chunks_alias,
                        query={"bool": {"filter": [{"terms": {"doc_id": failed_ids[start : start + 1000]}},
                                                   {"term": {"revision": revision}}]}},
                        conflicts="proceed", refresh=False,
                    )
                self.client.indices.refresh(index=f"{layout.documents_alias},{layout.chunks_alias}")
        except ElasticsearchUnavailable as error:
            # The documents already name their new revision, so leftover chunks are never returned; the next
            # write of the same document removes them.
            logger.warning("清理旧段落失败（不影响检索结果，下次写入同一文档时会清理）：%s", error)

    # --- reads --------------------------------------------------------------------------------------------

    def get_document(self, doc_id: str) -> PolicyDocument | None:
        with translated_errors(self.url, self.layout.documents_alias):
            try:
                found = self.client.get(index=self.layout.documents_alias, id=doc_id)
            except NotFoundError as error:
                if is_index_missing(error):
                    raise
                return None
        return document_from_record(found["_source"])

    def describe_documents(self, doc_ids: list[str]) -> dict[str, PolicyDocument]:
        unique = list(dict.fromkeys(doc_ids))
        if not unique:
            return {}
        with translated_errors(self.url, self.layout.documents_alias):
            response = self.client.mget(index=self.layout.documents_alias, ids=unique, source_excludes=["text"])
        return {
            d["_id"]: document_from_record(d["_source"]) for d in response["docs"] if d.get("found")
        }

    def find_by_hash(self, content_hash: str) -> PolicyDocument | None:
        hits = self._search_documents({"term": {"content_hash": content_hash}}, size=1)
        return hits[0] if hits else None

    def list_documents(self, limit: int = 100, offset: int = 0) -> list[PolicyDocument]:
        """Newest first. Beyond Elasticsearch's 10,000-hit window it pages with ``search_after``, remembering where
        earlier pages ended, so reading the whole library page by page stays linear."""
        if limit <= 0:
            return []
        if offset + limit <= _MAX_WINDOW:
            hits = self._search_document_hits({"match_all": {}}, size=limit, offset=offset, sort=_LIST_ORDER)
        else:
            position, cursor = max(((p, c) for p, c in self._list_cursors.items() if p <= offset), default=(0, None))
            while position < offset:
                page = self._search_document_hits(
                    {"match_all": {}}, size=min(_MAX_WINDOW, offset - position), sort=_LIST_ORDER, search_after=cursor
                )
                if not page:
                    return []
                position, cursor = position + len(page), page[-1]["sort"]
            hits = self._search_document_hits({"match_all": {}}, size=limit, sort=_LIST_ORDER, search_after=cursor)
        if hits:
            if len(self._list_cursors) > 10_000:
                self._list_cursors.clear()
            self._list_cursors[offset + len(hits)] = hits[-1]["sort"]
        return [document_from_record(hit["_source"]) for hit in hits]

    def count_documents(self) -> int:
        with translated_errors(self.url, self.layout.documents_alias):
            return int(self.client.count(index=self.layout.documents_alias)["count"])

    def count_chunks(self) -> int:
        with translated_errors(self.url, self.layout.chunks_alias):
            return int(self.client.count(index=self.layout.chunks_alias)["count"])

    def get_chunks(self, doc_id: str) -> list[IndexedChunk]:
        revisions = self._current_revisions([doc_id])
        if doc_id not in revisions:
            return []
        query = {"bool": {"filter": [{"term": {"doc_id": doc_id}}, {"term": {"revision": revisions[doc_id]}}]}}
        chunks: list[IndexedChunk] = []
        search_after: list[Any] | None = None
        with translated_errors(self.url, self.layout.chunks_alias):
            while True:
                response = self.client.search(
                    index=self.layout.chunks_alias, query=query, size=1000, sort=[{"ordinal": "asc"}],
                    source_excludes=FILTER_ONLY_CHUNK_FIELDS,
                    track_total_hits=False, search_after=search_after,
                )
                hits = response["hits"]["hits"]
                chunks.extend(chunk_from_source(hit["_source"]) for hit in hits)
                if len(hits) < 1000:
                    return chunks
                search_after = hits[-1]["sort"]

    def bm25_search(self, tokens: list[str], top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        query = query_text(tokens)
        if not query or top_k <= 0:
            return []
        response = self._search_chunks(
            query={"bool": {"should": text_queries(query, use_ik=self.layout.use_ik), "minimum_should_match": 1,
                            "filter": filter_clauses(filters, date.today())}},
            size=min(top_k, _MAX_WINDOW),
        )
        return self._hits(response, lambda score: score, "bm25")

    def embedding_search(self, query_embedding: np.ndarray, top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        if top_k <= 0:
            return []
        k = min(top_k, _MAX_WINDOW)
        knn: dict[str, Any] = {
            "field": "embedding",
            "query_vector": np.asarray(query_embedding, dtype=np.float32).tolist(),
            "k": k,
            "num_candidates": min(_MAX_WINDOW, max(100, 2 * k)),
        }
        clauses = filter_clauses(filters, date.today())
        if clauses:
            knn["filter"] = {"bool": {"filter": clauses}}
        # Elasticsearch scores cosine as (1 + cos) / 2; the contract's scores are cosine, as in the embedded index.
        return self._hits(self._search_chunks(knn=knn, size=k), lambda score: 2.0 * score - 1.0, "dense")

    def highlight(self, tokens: list[str], chunk_ids: list[str]) -> dict[str, PassageHighlight]:
        """For citations: in each of ``chunk_ids``, the query tokens Elasticsearch matched and the sentence with most of them.

        :param tokens: the query's tokens (``PolicyTokenizer.tokenize``).
        :param chunk_ids: chunks found by a search.
        :returns: chunk_id -> the best-matching sentence, with its offsets in the document's text.
        """
        query = query_text(tokens)
        if not query or not chunk_ids:
            return {}
        response = self._search_chunks(
            query={"bool": {"should": text_queries(query, use_ik=self.layout.use_ik), "minimum_should_match": 1,
                            "filter": [{"terms": {"chunk_id": list(dict.fromkeys(chunk_ids))}}]}},
            size=len(chunk_ids),
            highlight=HIGHLIGHT_REQUEST,
        )
        revisions = self._current_revisions([hit["_source"]["doc_id"] for hit in response["hits"]["hits"]])
        found: dict[str, PassageHighlight] = {}
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            if revisions.get(source["doc_id"]) != source.get("revision"):
                continue
            found[source["chunk_id"]] = best_sentence(source, marked_terms(hit))
        return found

    def close(self) -> None:
        self.client.close()

    # --- helpers ------------------------------------------------------------------------------------------

    def _search_chunks(self, **request: Any) -> dict[str, Any]:
        with translated_errors(self.url, self.layout.chunks_alias):
            return self.client.search(
                index=self.layout.chunks_alias, source_excludes=_HIT_SOURCE_EXCLUDES, track_total_hits=False, **request
            ).body

    def _search_documents(self, query: dict[str, Any], size: int) -> list[PolicyDocument]:
        return [document_from_record(hit["_source"]) for hit in self._search_document_hits(query, size=size)]

    def _search_document_hits(
        self, query: dict[str, Any], size: int, offset: int = 0, sort: list[Any] | None = None, search_after: list[Any] | None = None
    ) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"sort": sort} if sort else {}
        if search_after is not None:
            request["search_after"] = search_after
        elif offset:
            request["from_"] = offset
        with translated_errors(self.url, self.layout.documents_alias):
            response = self.client.search(
                index=self.layout.documents_alias, query=query, size=size, track_total_hits=False, **request
            )
        return list(response["hits"]["hits"])

    def _current_revisions(self, doc_ids: list[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(doc_ids))
        if not unique:
            return {}
        with translated_errors(self.url, self.layout.documents_alias):
            response = self.client.mget(index=self.layout.documents_alias, ids=unique, source_includes=["revision"])
        return {d["_id"]: d["_source"]["revision"] for d in response["docs"] if d.get("found")}

    def _hits(self, response: dict[str, Any], to_score: Callable[[float], float], name: str) -> list[ChunkHit]:
        """Hits of chunks whose document names their revision (others belong to a replaced or unfinished write)."""
        raw = response["hits"]["hits"]
        revisions = self._current_revisions([hit["_source"]["doc_id"] for hit in raw])
        hits: list[ChunkHit] = []
        for hit in raw:
            source = hit["_source"]
            if revisions.get(source["doc_id"]) != source.get("revision"):
                continue
            score = float(to_score(hit["_score"]))
            hits.append(ChunkHit(chunk=chunk_from_source(source), score=score, rank=len(hits) + 1, scores={name: score}))
        return hits


def _client_url(client: Elasticsearch) -> str:
    try:
        node = client.transport.node_pool.all()[0].config
        return f"{node.scheme}://{node.host}:{node.port}"
    except (AttributeError, IndexError):
        return "Elasticsearch"
