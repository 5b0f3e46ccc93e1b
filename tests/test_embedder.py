"""Embedding precision and runtimes: bfloat16 weights and the int8 ONNX query encoder agree with float32 on real
policy text; precisions never share a cache entry; a missing or stale ONNX export is never used."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from index.embedder import (
    EmbeddingCache,
    EmbeddingModelMissing,
    EmbeddingPrecision,
    PolicyEmbedder,
    QueryRuntime,
    cpu_runs_bfloat16_fast,
    resolve_precision,
)
from provisioning.query_encoder import MANIFEST_NAME, OnnxQueryEncoder, QueryEncoderUnavailable, query_encoder_dir
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


QUESTIONS = ["个体工商户可以享受哪些扶持政策", "个体工商户登记需要什么材料", "哪个部门负责个体工商户发展工作", "经营者的合法权益如何保护"]


def test_onnx_query_encoder_agrees_with_torch(embedder: PolicyEmbedder) -> None:
    onnx = PolicyEmbedder(str(MODEL_DIR), query_runtime=QueryRuntime.ONNX)
    assert onnx.query_runtime is QueryRuntime.ONNX and embedder.query_runtime is QueryRuntime.TORCH
    passages = embedder.embed_passages(_passages())
    for question in QUESTIONS:
        fast, reference = onnx.embed_query(question), embedder.embed_query(question)
        assert fast.dtype == np.float32 and abs(float(np.linalg.norm(fast)) - 1.0) < 1e-4
        assert float(fast @ reference) > 0.99, question
        assert int(np.argmax(passages @ fast)) == int(np.argmax(passages @ reference)), question


def _model_without_export(tmp_path: Path) -> Path:
    """The real model's files, linked into a folder that has no ONNX export next to it."""
    folder = tmp_path / "e5"
    folder.mkdir()
    for item in MODEL_DIR.iterdir():
        (folder / item.name).symlink_to(item)
    return folder


def test_without_an_export_auto_uses_torch_and_onnx_says_how_to_build_it(tmp_path: Path) -> None:
    folder = _model_without_export(tmp_path)
    assert PolicyEmbedder(str(folder), query_runtime=QueryRuntime.AUTO).query_runtime is QueryRuntime.TORCH
    with pytest.raises(EmbeddingModelMissing, match="policykb model provision"):
        PolicyEmbedder(str(folder), query_runtime=QueryRuntime.ONNX).embed_query("稳岗返还")
    assert PolicyEmbedder("a-model-name-not-a-folder", query_runtime=QueryRuntime.AUTO).query_runtime is QueryRuntime.TORCH


def test_an_export_of_other_weights_is_not_used(tmp_path: Path) -> None:
    folder = _model_without_export(tmp_path)
    export = query_encoder_dir(folder)
    export.mkdir()
    real_export = query_encoder_dir(MODEL_DIR)
    (export / "model.onnx").symlink_to(real_export / "model.onnx")
    manifest = json.loads((real_export / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert OnnxQueryEncoder.load(MODEL_DIR, max_tokens=256, threads=1)  # the real pair matches
    manifest["identity"]["weights"]["size"] += 1  # as if the model had been rebuilt since the export
    (export / MANIFEST_NAME).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(QueryEncoderUnavailable, match="权重不一致"):
        OnnxQueryEncoder.load(folder, max_tokens=256, threads=1)
    assert PolicyEmbedder(str(folder), query_runtime=QueryRuntime.AUTO).query_runtime is QueryRuntime.TORCH
