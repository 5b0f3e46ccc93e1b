"""How the Elasticsearch backend is configured: where the cluster is, how to authenticate, and how its indices look.

The values come from the settings; ``policykb.assembly`` reads them and builds these objects, so nothing in the index
layer reads settings itself.

>>> config = ElasticsearchStoreConfig(ElasticsearchConnection(url="http://127.0.0.1:9200"), IndexLayout(prefix="policykb"))
>>> store = ElasticsearchPolicyStore.connect(config)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from index.elasticsearch.errors import ElasticsearchUnavailable
from index.elasticsearch.mapping import IndexLayout


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
        """A client that retries 429/502/503/504 and timeouts itself (reads); bulk writes retry with backoff in the store.

        :raises ElasticsearchUnavailable: when ``ca_certs`` names no file.
        """
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


@dataclass(frozen=True)
class ElasticsearchStoreConfig:
    """Everything :meth:`index.elasticsearch.store.ElasticsearchPolicyStore.connect` needs.

    :param connection: where the cluster is and how to log in; its ``max_retries`` also bounds bulk-write retries.
    :param layout: names, settings and mappings of the indices.
    :param bulk_batch_size: records (chunks and documents) sent per bulk request.
    """

    connection: ElasticsearchConnection
    layout: IndexLayout
    bulk_batch_size: int = 500

    def __post_init__(self) -> None:
        if self.bulk_batch_size <= 0:
            raise ValueError(f"bulk_batch_size must be greater than 0, got {self.bulk_batch_size}")
