"""Embedding precision: bfloat16 weights agree with float32 on real policy text and never share a cache entry."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.embedder import EmbeddingCache, EmbeddingPrecision, PolicyEmbedder, cpu_runs_bfloat16_fast, resolve_precision
from tests.conftest import MODEL_DIR, REPO


def _passages() -> list[str]:
    text = (REPO / "policies_sample" / "laws" / "促进个体工商户发展条例(2022-10-01).md").read_text(encoding="utf-8")
    return [text[i : i + 300] for i in range(0, 3000, 300)]


def test_bfloat16_embeddings_rank_like_float32(embedder: PolicyEmbedder) -> None:
    bf16 = PolicyEmbedder(str(MODEL_DIR), precision=EmbeddingPrecision.BFLOAT16)
    passages = _passages()
    full, half = embedder.embed_passages(passages), bf16.embed_passages(passages)
    assert half.dtype == np.float32 and np.allclose(np.linalg.norm(half, axis=1), 1.0, atol=1e-3)
    assert float(np.min(np.sum(full * half, axis=1))) > 0.99
    query = "个体工商户可以享受哪些扶持政策"
    assert np.array_equal(np.argsort(-(full @ embedder.embed_query(query)))[:3], np.argsort(-(half @ bf16.embed_query(query)))[:3])


def test_precision_is_part_of_the_cache_key(tmp_path: Path, embedder: PolicyEmbedder) -> None:
    bf16 = PolicyEmbedder(str(MODEL_DIR), precision=EmbeddingPrecision.BFLOAT16)
    assert embedder.model_key == "multilingual-e5-small|256"  # float32 keeps the key existing caches were written under
    assert bf16.model_key == "multilingual-e5-small|256|bfloat16"
    vector = embedder.embed_query("稳岗返还")
    EmbeddingCache(tmp_path / "cache.sqlite3", embedder.model_key).put_many({"h": vector})
    assert EmbeddingCache(tmp_path / "cache.sqlite3", bf16.model_key).get_many(["h"]) == {}


def test_auto_chooses_bfloat16_only_where_the_cpu_multiplies_it_natively() -> None:
    expected = EmbeddingPrecision.BFLOAT16 if cpu_runs_bfloat16_fast() else EmbeddingPrecision.FLOAT32
    assert resolve_precision(EmbeddingPrecision.AUTO) is expected
    assert resolve_precision(EmbeddingPrecision.FLOAT32) is EmbeddingPrecision.FLOAT32
