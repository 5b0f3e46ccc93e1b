"""The Elasticsearch indices PolicyKB creates: names, settings and mappings, and how to compare them with a cluster's.

Two indices, each behind an alias that the store reads and writes through:

* ``<prefix>-documents`` — one record per document: original text (stored, not analysed), metadata, revision;
* ``<prefix>-chunks`` — one record per chunk: original text (stored, not analysed), the jieba tokens of the text
  and of the title/section in ``whitespace``-analysed fields (so BM25 sees exactly the tokens the embedded index
  sees), the embedding as a cosine ``dense_vector``, and the document's filter fields copied onto every chunk.

The concrete indices are versioned (``<prefix>-chunks-v3``); ``policykb reindex`` builds the next version and moves
the aliases in one atomic request. ``MAPPING_VERSION`` changes whenever the mapping below changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch

from policy.labels import LabelledEnum

MAPPING_VERSION = 1
TOKEN_ANALYZER = "policykb_tokens"
IK_INDEX_ANALYZER = "ik_max_word"
IK_SEARCH_ANALYZER = "ik_smart"
HEADING_BOOST = 2.0  # the embedded index weighs its title/section column 2.0 as well

_INVALID_PREFIX = re.compile(r"[\\/*?\"<>| ,#:A-Z]")


class VectorIndexType(LabelledEnum, unknown="未知的向量索引类型“{value}”"):
    """How Elasticsearch indexes the embeddings (``index_options.type`` of the ``dense_vector``)."""

    HNSW = "hnsw"  # float32 graph: exact scores, 4 bytes per dimension
    INT8_HNSW = "int8_hnsw"  # scalar-quantised graph: a quarter of the memory, approximate scores
    INT4_HNSW = "int4_hnsw"
    FLAT = "flat"  # brute force, exact: small indices only
    INT8_FLAT = "int8_flat"


@dataclass(frozen=True)
class IndexLayout:
    """What the indices of one PolicyKB installation look like."""

    prefix: str = "policykb"
    embedding_dims: int = 384
    use_ik: bool = False
    shards: int = 1
    replicas: int = 1
    vector_index: VectorIndexType = VectorIndexType.HNSW

    def __post_init__(self) -> None:
        if not self.prefix or _INVALID_PREFIX.search(self.prefix) or self.prefix[0] in "-_+.":
            raise ValueError(
                f"索引名前缀“{self.prefix}”不合法：只能用小写字母、数字、“-”和“_”，且不能以“-”“_”“+”“.”开头"
            )
        if self.embedding_dims <= 0:
            raise ValueError(f"embedding_dims must be greater than 0, got {self.embedding_dims}")

    @property
    def documents_alias(self) -> str:
        return f"{self.prefix}-documents"

    @property
    def chunks_alias(self) -> str:
        return f"{self.prefix}-chunks"

    def documents_index(self, version: int) -> str:
        return f"{self.documents_alias}-v{version}"

    def chunks_index(self, version: int) -> str:
        return f"{self.chunks_alias}-v{version}"

    @staticmethod
    def version_of(index_name: str) -> int | None:
        match = re.search(r"-v(\d+)$", index_name)
        return int(match.group(1)) if match else None


def index_settings(layout: IndexLayout) -> dict[str, Any]:
    return {
        "number_of_shards": layout.shards,
        "number_of_replicas": layout.replicas,
        "analysis": {"analyzer": {TOKEN_ANALYZER: {"type": "custom", "tokenizer": "whitespace"}}},
    }


def _stored_text(layout: IndexLayout) -> dict[str, Any]:
    """Original text: kept in the source, not analysed — unless IK is on, which indexes a sub-field of it."""
    field: dict[str, Any] = {"type": "text", "index": False}
    if layout.use_ik:
        field["fields"] = {"ik": {"type": "text", "analyzer": IK_INDEX_ANALYZER, "search_analyzer": IK_SEARCH_ANALYZER}}
    return field


def _filter_fields() -> dict[str, Any]:
    return {
        "region": {"type": "keyword"},
        "issuer": {"type": "keyword"},
        "tags": {"type": "keyword"},
        "status": {"type": "keyword"},  # the extracted status; the status on a given day is computed at query time
        "effective_date": {"type": "date", "format": "strict_date"},
        "expiry_date": {"type": "date", "format": "strict_date"},
        "doc_date": {"type": "date", "format": "strict_date"},  # publish date, else written date
    }


def documents_mappings(layout: IndexLayout) -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "_meta": {"policykb_mapping_version": MAPPING_VERSION, "policykb_index": "documents"},
        "properties": {
            "doc_id": {"type": "keyword"},
            "revision": {"type": "keyword"},
            "path": {"type": "keyword"},
            "content_hash": {"type": "keyword"},
            "source_format": {"type": "keyword"},
            "text": {"type": "text", "index": False},
            "metadata": {"type": "object", "enabled": False},
            "title": {"type": "keyword", "ignore_above": 1024},
            "doc_number": {"type": "keyword", "ignore_above": 256},
            "ingested_at": {"type": "date"},
            "indexed_at": {"type": "date"},
            "original_file": {"type": "keyword", "index": False},
            "chunk_count": {"type": "integer"},
            **_filter_fields(),
        },
    }


def chunks_mappings(layout: IndexLayout) -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "_meta": {
            "policykb_mapping_version": MAPPING_VERSION,
            "policykb_index": "chunks",
            "policykb_analyzer": "ik" if layout.use_ik else "jieba-whitespace",
        },
        "properties": {
            "chunk_id": {"type": "keyword"},
            "doc_id": {"type": "keyword"},
            "revision": {"type": "keyword"},
            "ordinal": {"type": "integer"},
            "text": _stored_text(layout),
            "char_start": {"type": "integer", "index": False},
            "char_end": {"type": "integer", "index": False},
            "section": {"type": "text", "index": False},
            "heading_text": _stored_text(layout),  # title and section as written, for IK
            "body_tokens": {"type": "text", "analyzer": TOKEN_ANALYZER},
            "heading_tokens": {"type": "text", "analyzer": TOKEN_ANALYZER},
            "embedding": {
                "type": "dense_vector",
                "dims": layout.embedding_dims,
                "index": True,
                "similarity": "cosine",
                "index_options": {"type": layout.vector_index.value},
            },
            **_filter_fields(),
        },
    }


def create_versioned_indices(client: Elasticsearch, layout: IndexLayout, version: int) -> None:
    """Create ``<prefix>-documents-v<version>`` and ``<prefix>-chunks-v<version>`` with this version's mappings."""
    settings = index_settings(layout)
    client.indices.create(index=layout.documents_index(version), settings=settings, mappings=documents_mappings(layout))
    client.indices.create(index=layout.chunks_index(version), settings=settings, mappings=chunks_mappings(layout))


# Attributes that decide how a field is indexed; a difference in any of them needs a reindex.
_COMPARED = ("type", "analyzer", "search_analyzer", "dims", "similarity", "enabled")


def mapping_differences(expected: dict[str, Any], actual: dict[str, Any], where: str = "") -> list[str]:
    """Differences that matter between the mapping this version expects and a cluster's, as Chinese sentences."""
    differences: list[str] = []
    if not where:
        expected_version = expected.get("_meta", {}).get("policykb_mapping_version")
        actual_version = (actual.get("_meta") or {}).get("policykb_mapping_version")
        if expected_version != actual_version:
            differences.append(f"映射版本为 {actual_version}，此版本 PolicyKB 需要 {expected_version}")
        expected_analyzer = expected.get("_meta", {}).get("policykb_analyzer")
        actual_analyzer = (actual.get("_meta") or {}).get("policykb_analyzer")
        if expected_analyzer != actual_analyzer:
            differences.append(f"分词方式为 {actual_analyzer}，当前设置要求 {expected_analyzer}")
    actual_properties = actual.get("properties") or {}
    for name, spec in (expected.get("properties") or {}).items():
        field = f"{where}{name}"
        found = actual_properties.get(name)
        if found is None:
            differences.append(f"缺少字段 {field}")
            continue
        for key in _COMPARED:
            if key in spec and found.get(key) != spec[key]:
                differences.append(f"字段 {field} 的 {key} 为 {found.get(key)!r}，应为 {spec[key]!r}")
        if spec.get("index") is False and found.get("index", True) is not False:
            differences.append(f"字段 {field} 不应被索引")
        if spec.get("type") == "dense_vector":
            expected_type = spec["index_options"]["type"]
            actual_type = (found.get("index_options") or {}).get("type")
            if actual_type != expected_type:
                differences.append(f"字段 {field} 的向量索引类型为 {actual_type!r}，当前设置要求 {expected_type!r}")
        for sub_name, sub_spec in (spec.get("fields") or {}).items():
            differences.extend(
                mapping_differences({"properties": {sub_name: sub_spec}}, {"properties": found.get("fields") or {}}, f"{field}.")
            )
    return differences
