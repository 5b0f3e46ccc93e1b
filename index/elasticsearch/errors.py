"""Errors of the Elasticsearch backend, each with a message (Simplified Chinese) an operator can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from elasticsearch import ApiError, AuthenticationException, AuthorizationException, NotFoundError, TransportError

from index.types import StoreError


class ElasticsearchStoreError(StoreError):
    """Base class; ``status_code`` is the HTTP status the web app answers with."""

    status_code = 503


class ElasticsearchUnavailable(ElasticsearchStoreError):
    """The cluster cannot be reached (not running, wrong address, network, TLS)."""


class ElasticsearchAuthError(ElasticsearchStoreError):
    """Wrong credentials, or a user without the privileges PolicyKB needs."""


class IndexMissingError(ElasticsearchStoreError):
    """An index or alias PolicyKB expects is not on the cluster."""


class MappingConflictError(ElasticsearchStoreError):
    """A write the index mapping refuses (e.g. another embedding size): retrying does not help."""

    status_code = 500


class BulkWriteError(ElasticsearchStoreError):
    """Some documents were not written; ``failed`` maps each doc_id to the reason."""

    def __init__(self, message: str, failed: dict[str, str]) -> None:
        super().__init__(message)
        self.failed = failed


def describe_connection_error(url: str, error: Exception) -> str:
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text or "SSL" in text.upper() and "certificate" in text.lower():
        return (
            f"无法与 {url} 建立 TLS 连接：证书校验失败。请把 POLICYKB_ELASTICSEARCH_CA_CERTS 设为集群的 CA 证书文件"
            f"（Elasticsearch 8 自动生成的是 config/certs/http_ca.crt），并确认地址中的主机名与证书一致。"
        )
    if "SSL" in text.upper():
        return f"无法与 {url} 建立 TLS 连接（{text[:200]}）。请确认地址以 https:// 开头且端口正确。"
    return (
        f"无法连接 Elasticsearch（{url}）：{text[:200]}。请确认服务正在运行、POLICYKB_ELASTICSEARCH_URL 的地址和端口正确，"
        f"且本机能访问该端口；可运行 `policykb es check` 逐项检查。"
    )


def describe_auth_error(url: str, error: ApiError) -> str:
    if isinstance(error, AuthorizationException):
        return (
            f"Elasticsearch（{url}）拒绝了请求：当前用户权限不足（{error.message}）。请给它授予集群权限 monitor，"
            f"以及索引 <前缀>-* 的 all 权限（见 docs/elasticsearch.md 的角色示例）。"
        )
    return (
        f"Elasticsearch（{url}）认证失败（HTTP {error.meta.status}）。请检查 POLICYKB_ELASTICSEARCH_API_KEY，"
        f"或 POLICYKB_ELASTICSEARCH_USERNAME / POLICYKB_ELASTICSEARCH_PASSWORD 是否正确、是否已过期。"
    )


def is_index_missing(error: NotFoundError) -> bool:
    """A 404 about a missing index or alias (not about a missing record)."""
    return error.message in ("index_not_found_exception", "aliases_not_found_exception")


def index_missing_message(alias: str) -> str:
    return (
        f"Elasticsearch 中没有索引 {alias}（可能被手动删除，或 POLICYKB_ELASTICSEARCH_INDEX_PREFIX 与入库时不同）。"
        f"请运行 `policykb es check` 查看；确认要新建空索引时重新启动 PolicyKB（会自动创建），再用 `policykb ingest` 重新入库。"
    )


@contextmanager
def translated_errors(url: str, alias: str) -> Iterator[None]:
    """Turns client errors into the backend's errors, with what to do about them."""
    try:
        yield
    except (AuthenticationException, AuthorizationException) as error:
        raise ElasticsearchAuthError(describe_auth_error(url, error)) from error
    except NotFoundError as error:
        if is_index_missing(error):
            raise IndexMissingError(index_missing_message(alias)) from error
        raise
    except TransportError as error:  # connection refused, timeout, TLS
        raise ElasticsearchUnavailable(describe_connection_error(url, error)) from error
    except ApiError as error:
        if error.meta.status >= 500 or error.meta.status == 429:
            raise ElasticsearchUnavailable(
                f"Elasticsearch（{url}）暂时无法处理请求（HTTP {error.meta.status} {error.message}），重试后仍失败："
                f"请用 `policykb es check` 查看集群健康状态，或稍后再试。"
            ) from error
        raise
