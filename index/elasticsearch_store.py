"""The Elasticsearch backend: the same :class:`index.types.PolicyStore` contract as the embedded index, on a cluster.

* BM25 runs on the jieba tokens PolicyKB computes itself (``whitespace``-analysed fields), so both backends see
  the same tokens; the title/section tokens weigh 2.0 as in the embedded index. With ``use_ik`` the IK analyzer
  indexes the original text instead (the cluster needs the plugin).
* Dense search is a top-level ``knn`` query on a cosine ``dense_vector``; scores are turned back into cosine.
* Both carry the same filters; the validity status is computed for *today* at query time from the stored status
  and effective/expiry dates (the rule of ``ingestion.types.current_status``).
* Writes go through ``_bulk`` in batches, with retries and exponential backoff on 429/5xx and lost connections.
  Each write has a *revision*: the chunks of the new revision are written first, then the document record, which
  names the current revision, then the chunks of older revisions are deleted. Readers only return chunks of the
  revision their document names, so a reader never sees half of a replaced document, and a write interrupted by a
  failure leaves the previous version (or nothing) visible until it is retried — never a duplicate.
* Fusion of the two rankings happens in the client (``index.retrieval``): server-side RRF needs a paid licence.

>>> store = build_elasticsearch_store(load_settings(index_backend="elasticsearch", elasticsearch_url="http://127.0.0.1:9200"))
>>> store.bm25_search(["高新技术企业", "补贴"], top_k=5)
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    TransportError,
)

from index.elasticsearch_errors import (
    BulkWriteError,
    ElasticsearchAuthError,
    ElasticsearchStoreError,
    ElasticsearchUnavailable,
    IndexMissingError,
    MappingConflictError,
    describe_auth_error,
    describe_connection_error,
    index_missing_message,
    is_index_missing,
    translated_errors,
)
from index.elasticsearch_mapping import (
    HEADING_BOOST,
    IndexLayout,
    VectorIndexType,
    chunks_mappings,
    documents_mappings,
    index_settings,
)
from index.sqlite_store import metadata_from_dict, metadata_to_json
from index.types import ChunkHit, IndexedChunk, PolicyDocument, SearchFilters
from ingestion.types import ValidityStatus

if TYPE_CHECKING:
    from policykb.settings import Settings

__all__ = [
    "BulkWriteError",
    "BulkWriteReport",
    "ElasticsearchConnection",
    "ElasticsearchPolicyStore",
    "ElasticsearchStoreError",
    "ElasticsearchUnavailable",
    "IndexMissingError",
    "MappingConflictError",
    "PassageHighlight",
    "build_elasticsearch_store",
    "embedding_dimension_of",
]

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAPPING_ERRORS = frozenset({
    "document_parsing_exception", "mapper_parsing_exception", "strict_dynamic_mapping_exception",
    "illegal_argument_exception", "mapper_exception",
})
_MAX_WINDOW = 10_000  # index.max_result_window and the knn num_candidates ceiling
_HIT_SOURCE_EXCLUDES = ["embedding", "heading_text", "region", "issuer", "tags", "status", "effective_date", "expiry_date", "doc_date"]
_LIST_ORDER = [{"ingested_at": "desc"}, {"doc_id": "asc"}]
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])")


@dataclass(frozen=True)
class ElasticsearchConnection:
    """How to reach the cluster. Secrets are plain strings here: they come from ``SecretStr`` settings, never logged."""

    url: str
    api_key: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_certs: Path | None = None
    request_timeout: float = 30.0
    max_retries: int = 3

    def client(self) -> Elasticsearch:
        """A client that retries 429/502/503/504 and timeouts itself (reads); bulk writes retry with backoff in the store."""
        options: dict[str, Any] = {
            "request_timeout": self.request_timeout,
            "max_retries": self.max_retries,
            "retry_on_status": (429, 502, 503, 504),
            "retry_on_timeout": True,
        }
        if self.api_key:
            options["api_key"] = self.api_key
        elif self.username:
            options["basic_auth"] = (self.username, self.password or "")
        if self.ca_certs:
            if not Path(self.ca_certs).is_file():
                raise ElasticsearchUnavailable(
                    f"找不到 CA 证书文件 {self.ca_certs}：请检查 POLICYKB_ELASTICSEARCH_CA_CERTS（应指向集群的 http_ca.crt）"
                )
            options["ca_certs"] = str(self.ca_certs)
        return Elasticsearch(self.url, **options)

    @classmethod
    def from_settings(cls, settings: "Settings") -> "ElasticsearchConnection":
        if not settings.elasticsearch_url:
            raise ElasticsearchUnavailable(
                "已选择 Elasticsearch 后端，但没有设置 POLICYKB_ELASTICSEARCH_URL（例如 https://es1.example.gov.cn:9200）"
            )
        return cls(
            url=settings.elasticsearch_url,
            api_key=settings.elasticsearch_api_key.get_secret_value() if settings.elasticsearch_api_key else None,
            username=settings.elasticsearch_username,
            password=settings.elasticsearch_password.get_secret_value() if settings.elasticsearch_password else None,
            ca_certs=settings.elasticsearch_ca_certs,
            request_timeout=settings.elasticsearch_request_timeout,
            max_retries=settings.elasticsearch_max_retries,
        )


@dataclass
class BulkWriteReport:
    """Which documents a batch write put in place, and why the others were not."""

    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc_id -> reason (Chinese)

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class PassageHighlight:
    """The sentence of a chunk that matched a query best, in document coordinates, for a citation."""

    chunk_id: str
    matched_terms: tuple[str, ...]
    char_start: int
    char_end: int
    text: str


@dataclass
class _Action:
    doc_id: str
    meta: dict[str, Any]
    source: dict[str, Any] | None


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
        if bulk_batch_size <= 0:
            raise ValueError(f"bulk_batch_size must be greater than 0, got {bulk_batch_size}")
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, got {max_retries}")
        self.client = client
        self.layout = layout
        self.url = url or _client_url(client)
        self.bulk_batch_size = bulk_batch_size
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.max_backoff_s = max_backoff_s
        self._list_cursors: dict[int, list[Any]] = {}  # list_documents offset -> sort values of the hit before it

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
                missing = [a for a, p in zip((layout.documents_alias, layout.chunks_alias), present) if not p]
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
        indexed_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        chunk_actions = [
            _Action(doc_id, {"index": {"_index": self.layout.chunks_alias, "_id": f"{chunk.chunk_id}@{revision}"}},
                    self._chunk_source(document, chunk, revision))
            for doc_id, (document, chunks) in latest.items()
            for chunk in chunks
        ]
        failed = self._bulk(chunk_actions)
        document_actions = [
            _Action(doc_id, {"index": {"_index": self.layout.documents_alias, "_id": doc_id}},
                    self._document_source(document, chunks, revision, indexed_at))
            for doc_id, (document, chunks) in latest.items()
            if doc_id not in failed
        ]
        failed.update(self._bulk(document_actions))
        written = [doc_id for doc_id in latest if doc_id not in failed]
        self._delete_stale_chunks(written, revision, failed)
        report = BulkWriteReport(written=written, failed={doc_id: reason for doc_id, (reason, _) in failed.items()})
        conflicts = {doc_id: reason for doc_id, (reason, kind) in failed.items() if kind == "mapping"}
        if conflicts:
            first = next(iter(conflicts))
            raise MappingConflictError(
                f"索引映射拒绝了 {len(conflicts)} 个文档（如 {first}：{conflicts[first]}）。重试不会成功："
                f"请运行 `policykb es check` 核对映射；若更换了嵌入模型（维度不同），需要新的索引前缀并重新入库。"
            )
        if failed and any(kind == "missing" for _, kind in failed.values()):
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

    def _delete_stale_chunks(self, written: list[str], revision: str, failed: dict[str, tuple[str, str]]) -> None:
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

    def _bulk(self, actions: list[_Action]) -> dict[str, tuple[str, str]]:
        """Send ``actions`` in batches; failed doc_id -> (reason, kind) with kind ``mapping``/``missing``/``other``.

        429/5xx items and whole requests that fail to connect are retried with exponential backoff; after the
        retries, that batch and every later one count as failed (the cluster is gone, the caller retries later).
        """
        failed: dict[str, tuple[str, str]] = {}
        client = self.client.options(max_retries=0)
        for start in range(0, len(actions), self.bulk_batch_size):
            pending = [a for a in actions[start : start + self.bulk_batch_size] if a.doc_id not in failed]
            attempt = 0
            while pending:
                try:
                    response = client.bulk(operations=_operations(pending), require_alias=True, refresh=False)
                except (AuthenticationException, AuthorizationException) as error:
                    raise ElasticsearchAuthError(describe_auth_error(self.url, error)) from error
                except (TransportError, ApiError) as error:
                    status = getattr(getattr(error, "meta", None), "status", None)
                    retryable = isinstance(error, TransportError) or status in _RETRYABLE_STATUS
                    if retryable and attempt < self.max_retries:
                        attempt += 1
                        self._sleep(attempt)
                        continue
                    reason = (
                        describe_connection_error(self.url, error) if isinstance(error, TransportError)
                        else f"Elasticsearch 返回错误 {status}：{error}"
                    )
                    for action in actions[start:]:
                        failed.setdefault(action.doc_id, (reason, "other"))
                    return failed
                retry: list[_Action] = []
                for action, item in zip(pending, response["items"]):
                    outcome = next(iter(item.values()))
                    error = outcome.get("error")
                    if not error:
                        continue
                    status = int(outcome.get("status", 0))
                    kind = error.get("type", "") if isinstance(error, dict) else str(error)
                    reason = error.get("reason", kind) if isinstance(error, dict) else str(error)
                    if status in _RETRYABLE_STATUS and attempt < self.max_retries:
                        retry.append(action)
                    elif kind == "cluster_block_exception":
                        failed.setdefault(action.doc_id, (
                            "索引当前只读（可能正在运行 `policykb reindex`，或磁盘将满触发了只读保护）；请稍后重试", "other"))
                    elif kind == "index_not_found_exception":
                        failed.setdefault(action.doc_id, (index_missing_message(self.layout.chunks_alias), "missing"))
                    elif kind in _MAPPING_ERRORS:
                        failed.setdefault(action.doc_id, (f"{kind}: {reason}", "mapping"))
                    else:
                        failed.setdefault(action.doc_id, (f"HTTP {status} {kind}: {reason}", "other"))
                pending = [a for a in retry if a.doc_id not in failed]
                if pending:
                    attempt += 1
                    self._sleep(attempt)
        return failed

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(self.max_backoff_s, self.retry_backoff_s * 2 ** (attempt - 1)))

    def _document_source(self, document: PolicyDocument, chunks: list[IndexedChunk], revision: str, indexed_at: str) -> dict[str, Any]:
        metadata = document.metadata
        return {
            "doc_id": document.doc_id,
            "revision": revision,
            "path": document.path,
            "content_hash": document.content_hash,
            "source_format": document.source_format,
            "text": document.text,
            "metadata": json.loads(metadata_to_json(metadata)),
            "title": metadata.title,
            "doc_number": metadata.doc_number,
            "ingested_at": document.ingested_at or indexed_at,
            "indexed_at": indexed_at,
            "original_file": document.original_file,
            "chunk_count": len(chunks),
            **_filter_values(document),
        }

    def _chunk_source(self, document: PolicyDocument, chunk: IndexedChunk, revision: str) -> dict[str, Any]:
        source: dict[str, Any] = {
            "chunk_id": chunk.chunk_id,
            "doc_id": document.doc_id,
            "revision": revision,
            "ordinal": chunk.ordinal,
            "text": chunk.text,
            "char_start": chunk.char_start,
            "char_end": chunk.char_end,
            "section": chunk.section,
            "heading_text": " ".join(part for part in (document.metadata.title or "", chunk.section) if part),
            "body_tokens": " ".join(chunk.tokens),
            "heading_tokens": " ".join(chunk.heading_tokens),
            **_filter_values(document),
        }
        if chunk.embedding is not None:
            source["embedding"] = np.asarray(chunk.embedding, dtype=np.float32).tolist()
        return source

    # --- reads --------------------------------------------------------------------------------------------

    def get_document(self, doc_id: str) -> PolicyDocument | None:
        with translated_errors(self.url, self.layout.documents_alias):
            try:
                found = self.client.get(index=self.layout.documents_alias, id=doc_id)
            except NotFoundError as error:
                if is_index_missing(error):
                    raise
                return None
        return _document_from_source(found["_source"])

    def describe_documents(self, doc_ids: list[str]) -> dict[str, PolicyDocument]:
        unique = list(dict.fromkeys(doc_ids))
        if not unique:
            return {}
        with translated_errors(self.url, self.layout.documents_alias):
            response = self.client.mget(index=self.layout.documents_alias, ids=unique, source_excludes=["text"])
        return {
            d["_id"]: _document_from_source(d["_source"]) for d in response["docs"] if d.get("found")
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
        return [_document_from_source(hit["_source"]) for hit in hits]

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
                    source_excludes=["heading_text", "region", "issuer", "tags", "status", "effective_date", "expiry_date", "doc_date"],
                    track_total_hits=False, **({"search_after": search_after} if search_after else {}),
                )
                hits = response["hits"]["hits"]
                chunks.extend(_chunk_from_source(hit["_source"]) for hit in hits)
                if len(hits) < 1000:
                    return chunks
                search_after = hits[-1]["sort"]

    def bm25_search(self, tokens: list[str], top_k: int, filters: SearchFilters | None = None) -> list[ChunkHit]:
        query_text = _query_text(tokens)
        if not query_text or top_k <= 0:
            return []
        response = self._search_chunks(
            query={"bool": {"should": self._text_queries(query_text), "minimum_should_match": 1,
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
        query_text = _query_text(tokens)
        if not query_text or not chunk_ids:
            return {}
        response = self._search_chunks(
            query={"bool": {"should": self._text_queries(query_text), "minimum_should_match": 1,
                            "filter": [{"terms": {"chunk_id": list(dict.fromkeys(chunk_ids))}}]}},
            size=len(chunk_ids),
            highlight={"fields": {"body_tokens": {"number_of_fragments": 0}}, "pre_tags": ["\u0001"], "post_tags": ["\u0002"]},
        )
        revisions = self._current_revisions([hit["_source"]["doc_id"] for hit in response["hits"]["hits"]])
        found: dict[str, PassageHighlight] = {}
        for hit in response["hits"]["hits"]:
            source = hit["_source"]
            if revisions.get(source["doc_id"]) != source.get("revision"):
                continue
            marked = " ".join((hit.get("highlight") or {}).get("body_tokens") or [])
            terms = tuple(dict.fromkeys(re.findall("\u0001([^\u0002]+)\u0002", marked)))
            found[source["chunk_id"]] = _best_sentence(source, terms)
        return found

    def close(self) -> None:
        self.client.close()

    # --- helpers ------------------------------------------------------------------------------------------

    def _text_queries(self, query_text: str) -> list[dict[str, Any]]:
        """BM25F over text and heading as one field (heading terms count double), like the embedded index's FTS5
        ``bm25()`` with column weights; summing two per-field BM25 scores instead ranked clearly worse on ncp_dev."""
        fields = ["text.ik", f"heading_text.ik^{HEADING_BOOST:g}"] if self.layout.use_ik else ["body_tokens", f"heading_tokens^{HEADING_BOOST:g}"]
        return [{"combined_fields": {"query": query_text, "fields": fields, "operator": "or"}}]

    def _search_chunks(self, **request: Any) -> dict[str, Any]:
        with translated_errors(self.url, self.layout.chunks_alias):
            return self.client.search(
                index=self.layout.chunks_alias, source_excludes=_HIT_SOURCE_EXCLUDES, track_total_hits=False, **request
            ).body

    def _search_documents(self, query: dict[str, Any], size: int) -> list[PolicyDocument]:
        return [_document_from_source(hit["_source"]) for hit in self._search_document_hits(query, size=size)]

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

    def _hits(self, response: dict[str, Any], to_score: Any, name: str) -> list[ChunkHit]:
        """Hits of chunks whose document names their revision (others belong to a replaced or unfinished write)."""
        raw = response["hits"]["hits"]
        revisions = self._current_revisions([hit["_source"]["doc_id"] for hit in raw])
        hits: list[ChunkHit] = []
        for hit in raw:
            source = hit["_source"]
            if revisions.get(source["doc_id"]) != source.get("revision"):
                continue
            score = float(to_score(hit["_score"]))
            hits.append(ChunkHit(chunk=_chunk_from_source(source), score=score, rank=len(hits) + 1, scores={name: score}))
        return hits


def create_versioned_indices(client: Elasticsearch, layout: IndexLayout, version: int) -> None:
    """Create ``<prefix>-documents-v<version>`` and ``<prefix>-chunks-v<version>`` with this version's mappings."""
    settings = index_settings(layout)
    client.indices.create(index=layout.documents_index(version), settings=settings, mappings=documents_mappings(layout))
    client.indices.create(index=layout.chunks_index(version), settings=settings, mappings=chunks_mappings(layout))


def filter_clauses(filters: SearchFilters | None, today: date) -> list[dict[str, Any]]:
    """The filters as Elasticsearch ``bool.filter`` clauses, with the same meaning as the embedded index's SQL."""
    if filters is None or filters.is_empty():
        return []
    clauses: list[dict[str, Any]] = []
    if filters.region:
        clauses.append({"prefix": {"region": {"value": _like_cleaned(filters.region), "case_insensitive": True}}})
    if filters.issuer:
        pattern = "*" + _wildcard_escape(_like_cleaned(filters.issuer)) + "*"
        clauses.append({"wildcard": {"issuer": {"value": pattern, "case_insensitive": True}}})
    if filters.status:
        clauses.append(status_clause(filters.status, today))
    if filters.tag:
        clauses.append({"term": {"tags": {"value": _like_cleaned(filters.tag), "case_insensitive": True}}})
    if filters.date_from or filters.date_to:
        bounds = {}
        if filters.date_from:
            bounds["gte"] = filters.date_from.isoformat()
        if filters.date_to:
            bounds["lte"] = filters.date_to.isoformat()
        clauses.append({"range": {"doc_date": bounds}})
    if filters.doc_ids:
        clauses.append({"terms": {"doc_id": list(filters.doc_ids)}})
    return clauses


def status_clause(status: str, today: date) -> dict[str, Any]:
    """Documents whose status on ``today`` is ``status``: an explicit 已失效 stays; otherwise the dates decide."""
    day = today.isoformat()
    expired = [{"term": {"status": ValidityStatus.EXPIRED.value}}, {"range": {"expiry_date": {"lt": day}}}]
    not_yet = {"range": {"effective_date": {"gt": day}}}
    if status == ValidityStatus.EXPIRED.value:
        return {"bool": {"should": expired, "minimum_should_match": 1}}
    if status == ValidityStatus.NOT_YET_IN_FORCE.value:
        return {"bool": {"must_not": expired, "filter": [not_yet]}}
    if status == ValidityStatus.IN_FORCE.value:
        return {"bool": {"must_not": [*expired, not_yet]}}
    return {"bool": {"must_not": [{"match_all": {}}]}}  # no document has an unknown status


def embedding_dimension_of(model: str) -> int | None:
    """The embedding size of a local sentence-transformers folder, read from its config (no model loading)."""
    folder = Path(model)
    for name, key in (("1_Pooling/config.json", "word_embedding_dimension"), ("policykb_model.json", "embedding_dimension")):
        path = folder / name
        if path.is_file():
            try:
                value = json.loads(path.read_text(encoding="utf-8")).get(key)
            except (OSError, ValueError):
                continue
            if isinstance(value, int) and value > 0:
                return value
    return None


def layout_from_settings(settings: "Settings", embedding_dims: int | None = None) -> IndexLayout:
    dims = embedding_dims or embedding_dimension_of(settings.embedding_model)
    if dims is None:
        from index.embedder import PolicyEmbedder

        dims = PolicyEmbedder(settings.embedding_model).dimension  # loads the model: only for models without a config
    return IndexLayout(
        prefix=settings.elasticsearch_index_prefix,
        embedding_dims=dims,
        use_ik=settings.elasticsearch_use_ik,
        shards=settings.elasticsearch_shards,
        replicas=settings.elasticsearch_replicas,
        vector_index=VectorIndexType.from_str(settings.elasticsearch_vector_index),
    )


def build_elasticsearch_store(settings: "Settings", *, create_indices: bool = True) -> ElasticsearchPolicyStore:
    """The store ``policykb.assembly.build_store`` uses when ``index_backend`` is ``elasticsearch``."""
    connection = ElasticsearchConnection.from_settings(settings)
    store = ElasticsearchPolicyStore(
        connection.client(),
        layout_from_settings(settings),
        url=connection.url,
        bulk_batch_size=settings.elasticsearch_bulk_batch_size,
        max_retries=settings.elasticsearch_max_retries,
    )
    if create_indices:
        store.ensure_indices()
    return store


def _operations(actions: list[_Action]) -> Iterator[dict[str, Any]]:
    for action in actions:
        yield action.meta
        if action.source is not None:
            yield action.source


def _filter_values(document: PolicyDocument) -> dict[str, Any]:
    metadata = document.metadata
    doc_date = metadata.publish_date or metadata.written_date
    return {
        "region": metadata.region,
        "issuer": metadata.issuer,
        "tags": list(metadata.tags),
        "status": metadata.status.value,
        "effective_date": _iso(metadata.effective_date),
        "expiry_date": _iso(metadata.expiry_date),
        "doc_date": _iso(doc_date),
    }


def _document_from_source(source: dict[str, Any]) -> PolicyDocument:
    return PolicyDocument(
        doc_id=source["doc_id"],
        path=source["path"],
        content_hash=source["content_hash"],
        source_format=source["source_format"],
        text=source.get("text", ""),
        metadata=metadata_from_dict(source["metadata"]),
        ingested_at=source.get("ingested_at") or "",
        original_file=source.get("original_file"),
        chunk_count=int(source.get("chunk_count") or 0),
    )


def _chunk_from_source(source: dict[str, Any]) -> IndexedChunk:
    embedding = source.get("embedding")
    return IndexedChunk(
        chunk_id=source["chunk_id"],
        doc_id=source["doc_id"],
        ordinal=int(source["ordinal"]),
        text=source["text"],
        char_start=int(source["char_start"]),
        char_end=int(source["char_end"]),
        section=source.get("section") or "",
        tokens=(source.get("body_tokens") or "").split(),
        embedding=None if embedding is None else np.asarray(embedding, dtype=np.float32),
        heading_tokens=(source.get("heading_tokens") or "").split(),
    )


def _best_sentence(source: dict[str, Any], terms: tuple[str, ...]) -> PassageHighlight:
    text: str = source["text"]
    best = (0, 0, len(text))
    offset = 0
    for sentence in _SENTENCE_END.split(text):
        lowered = sentence.lower()
        matched = sum(lowered.count(term) * len(term) for term in terms)
        if matched > best[0]:
            best = (matched, offset, offset + len(sentence))
        offset += len(sentence)
    _, start, end = best
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    base = int(source["char_start"])
    return PassageHighlight(source["chunk_id"], terms, base + start, base + end, text[start:end])


def _query_text(tokens: list[str]) -> str:
    """The distinct tokens, space-joined for the ``whitespace`` analyzer (the embedded index also ORs distinct tokens)."""
    return " ".join(dict.fromkeys(t for token in tokens for t in token.split() if t))


def _like_cleaned(value: str) -> str:
    """The embedded index drops ``%`` and ``_`` from filter values (LIKE wildcards); do the same here."""
    return value.replace("%", "").replace("_", "")


def _wildcard_escape(value: str) -> str:
    return re.sub(r"([\\*?])", r"\\\1", value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _client_url(client: Elasticsearch) -> str:
    try:
        node = client.transport.node_pool.all()[0].config
        return f"{node.scheme}://{node.host}:{node.port}"
    except (AttributeError, IndexError):
        return "Elasticsearch"
