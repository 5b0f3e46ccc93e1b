"""Bulk writes to Elasticsearch in batches, retried with exponential backoff on 429/5xx and lost connections.

Failures are reported per document, with a reason a person can act on and a kind that tells the store whether
anything can help: a mapping conflict never goes away by retrying, a missing index needs an operator, the rest
may succeed later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from elasticsearch import ApiError, AuthenticationException, AuthorizationException, Elasticsearch, TransportError

from index.elasticsearch.errors import (
    ElasticsearchAuthError,
    describe_auth_error,
    describe_connection_error,
    index_missing_message,
)

_RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_MAPPING_ERRORS = frozenset({
    "document_parsing_exception", "mapper_parsing_exception", "strict_dynamic_mapping_exception",
    "illegal_argument_exception", "mapper_exception",
})


class FailureKind(str, Enum):
    MAPPING = "mapping"  # the index mapping refuses the record: retrying cannot help
    MISSING = "missing"  # the index behind the alias is gone
    OTHER = "other"  # the cluster is busy, read-only or unreachable: a later retry may succeed


@dataclass(frozen=True)
class BulkFailure:
    reason: str  # Chinese, for a person
    kind: FailureKind


@dataclass(frozen=True)
class BulkAction:
    """One bulk operation (``meta``, then ``source`` unless it is a delete) on behalf of document ``doc_id``."""

    doc_id: str
    meta: dict[str, Any]
    source: dict[str, Any] | None


@dataclass
class BulkWriteReport:
    """Which documents a batch write put in place, and why the others were not."""

    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # doc_id -> reason (Chinese)

    @property
    def ok(self) -> bool:
        return not self.failed


class BulkSender:
    """Sends bulk actions in batches of ``batch_size``, retrying rejected items and failed requests.

    >>> sender = BulkSender(client, url="http://127.0.0.1:9200", missing_index="policykb-chunks")
    >>> failed = sender.send([BulkAction("doc", {"index": {"_index": "policykb-chunks", "_id": "doc:0"}}, {...})])
    """

    def __init__(
        self,
        client: Elasticsearch,
        *,
        url: str,
        missing_index: str,
        batch_size: int = 500,
        max_retries: int = 3,
        retry_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"bulk_batch_size must be greater than 0, got {batch_size}")
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, got {max_retries}")
        self.client = client
        self.url = url
        self.missing_index = missing_index
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.retry_backoff_s = retry_backoff_s
        self.max_backoff_s = max_backoff_s

    def send(self, actions: list[BulkAction]) -> dict[str, BulkFailure]:
        """Send ``actions`` in batches; the documents some action of which failed, with why.

        429/5xx items and whole requests that fail to connect are retried with exponential backoff; after the
        retries, that batch and every later one count as failed (the cluster is gone, the caller retries later).

        :raises ElasticsearchAuthError: when the cluster refuses the credentials.
        """
        failed: dict[str, BulkFailure] = {}
        client = self.client.options(max_retries=0)
        for start in range(0, len(actions), self.batch_size):
            pending = [a for a in actions[start : start + self.batch_size] if a.doc_id not in failed]
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
                        failed.setdefault(action.doc_id, BulkFailure(reason, FailureKind.OTHER))
                    return failed
                retry: list[BulkAction] = []
                for action, item in zip(pending, response["items"], strict=True):
                    outcome = next(iter(item.values()))
                    item_error = outcome.get("error")
                    if not item_error:
                        continue
                    status = int(outcome.get("status", 0))
                    if status in _RETRYABLE_STATUS and attempt < self.max_retries:
                        retry.append(action)
                    else:
                        failed.setdefault(action.doc_id, self._item_failure(status, item_error))
                pending = [a for a in retry if a.doc_id not in failed]
                if pending:
                    attempt += 1
                    self._sleep(attempt)
        return failed

    def _item_failure(self, status: int, error: dict[str, Any] | str) -> BulkFailure:
        kind = error.get("type", "") if isinstance(error, dict) else str(error)
        reason = error.get("reason", kind) if isinstance(error, dict) else str(error)
        if kind == "cluster_block_exception":
            return BulkFailure(
                "索引当前只读（可能正在运行 `policykb reindex`，或磁盘将满触发了只读保护）；请稍后重试", FailureKind.OTHER
            )
        if kind == "index_not_found_exception":
            return BulkFailure(index_missing_message(self.missing_index), FailureKind.MISSING)
        if kind in _MAPPING_ERRORS:
            return BulkFailure(f"{kind}: {reason}", FailureKind.MAPPING)
        return BulkFailure(f"HTTP {status} {kind}: {reason}", FailureKind.OTHER)

    def _sleep(self, attempt: int) -> None:
        time.sleep(min(self.max_backoff_s, self.retry_backoff_s * 2 ** (attempt - 1)))


def _operations(actions: list[BulkAction]) -> list[dict[str, Any]]:
    operations = []
    for action in actions:
        operations.append(action.meta)
        if action.source is not None:
            operations.append(action.source)
    return operations
