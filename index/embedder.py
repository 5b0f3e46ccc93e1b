"""Sentence embeddings for queries and passages, offline, with a cache keyed by the passage text's hash."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from index.storage_errors import classify_write_error
from provisioning.e5 import MANIFEST_NAME as E5_MANIFEST_NAME
from provisioning.query_encoder import OnnxQueryEncoder, QueryEncoderUnavailable

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)


class EmbeddingModelMissing(RuntimeError):
    """The configured embedding model is not on this machine (the product never downloads one)."""


class EmbeddingPrecision(str, Enum):
    AUTO = "auto"
    FLOAT32 = "float32"
    BFLOAT16 = "bfloat16"


class QueryRuntime(str, Enum):
    """What embeds a query: the int8 ONNX export (``provisioning/query_encoder.py``) or the torch model itself."""

    AUTO = "auto"
    ONNX = "onnx"
    TORCH = "torch"


def cpu_runs_bfloat16_fast() -> bool:
    """True where the CPU multiplies bfloat16 natively (AMX tiles or AVX512-BF16); elsewhere bfloat16 is emulated and slow."""
    import torch

    return bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def resolve_precision(precision: EmbeddingPrecision) -> EmbeddingPrecision:
    if precision is EmbeddingPrecision.AUTO:
        return EmbeddingPrecision.BFLOAT16 if cpu_runs_bfloat16_fast() else EmbeddingPrecision.FLOAT32
    return precision


def embedding_dimension_of(model: str) -> int | None:
    """The embedding size of a local sentence-transformers folder, read from its config (no model loading)."""
    folder = Path(model)
    for name, key in (("1_Pooling/config.json", "word_embedding_dimension"), (E5_MANIFEST_NAME, "embedding_dimension")):
        path = folder / name
        if path.is_file():
            try:
                value = json.loads(path.read_text(encoding="utf-8")).get(key)
            except (OSError, ValueError):
                continue
            if isinstance(value, int) and value > 0:
                return value
    return None


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Passage embeddings by (model, sha256 of the exact passage string), in a SQLite file.

    Re-ingesting a document whose chunks did not change never runs the model again.
    """

    def __init__(self, path: Path, model_key: str) -> None:
        self._model_key = model_key
        self._location = path.parent
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(path, check_same_thread=False, timeout=30.0)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, text_hash TEXT, vector BLOB, PRIMARY KEY (model, text_hash))"
            )
        except (OSError, sqlite3.Error) as error:
            unwritable = classify_write_error(error, self._location)
            if unwritable is None:
                raise
            raise unwritable from error

    def get_many(self, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 900):
                batch = hashes[start : start + 900]
                marks = ",".join("?" * len(batch))
                rows = self._connection.execute(
                    f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                    [self._model_key, *batch],
                )
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put_many(self, vectors: dict[str, np.ndarray]) -> None:
        rows = [(self._model_key, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in vectors.items()]
        try:
            with self._lock, self._connection:
                self._connection.executemany("INSERT OR REPLACE INTO embeddings(model, text_hash, vector) VALUES (?,?,?)", rows)
        except sqlite3.Error as error:
            unwritable = classify_write_error(error, self._location)
            if unwritable is None:
                raise
            raise unwritable from error


class PolicyEmbedder:
    """Embeds queries and passages with a sentence-transformers model that is already on disk.

    >>> embedder = PolicyEmbedder("models/multilingual-e5-small")
    >>> embedder.embed_query("高新技术企业有哪些税收优惠").shape
    (384,)
    """

    def __init__(
        self,
        model: str,
        *,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
        batch_size: int = 32,
        max_tokens: int = 256,
        threads: int = 2,
        query_threads: int = 1,
        precision: EmbeddingPrecision = EmbeddingPrecision.FLOAT32,
        query_runtime: QueryRuntime = QueryRuntime.TORCH,
        cache: EmbeddingCache | None = None,
    ) -> None:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be greater than 0, got {batch_size}")
        self.model_name = model
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads
        self.query_threads = query_threads
        self.precision = resolve_precision(precision)
        self.requested_query_runtime = query_runtime
        self.cache = cache
        self._encode_lock = threading.Lock()

    @cached_property
    def _model(self) -> SentenceTransformer:
        # Never reach a model hub: the model must be a local folder or already in the local cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        # oneDNN keeps a compiled kernel per input shape (batch × tokens) it meets, up to 1,024 of them, so memory
        # grows over a long ingest; 16 bounds it and ingestion is no slower (bench/ingest_throughput.py on
        # policies_sample with 1,024 vs 16: 47.6 → 53.0 chunks/s, peak RSS 1,672 → 1,556 MB).
        os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16")
        import torch
        from sentence_transformers import SentenceTransformer

        # Loaded in bfloat16 directly: converting after a float32 load holds both copies at once.
        dtype = torch.bfloat16 if self.precision is EmbeddingPrecision.BFLOAT16 else torch.float32
        try:
            model = SentenceTransformer(self.model_name, device="cpu", local_files_only=True, model_kwargs={"dtype": dtype})
        except (OSError, ValueError) as error:
            raise EmbeddingModelMissing(
                f"无法离线加载嵌入模型“{self.model_name}”（本地目录不存在或不完整）。请先运行 `make install`"
                f"（或 `policykb model provision`），或用 POLICYKB_EMBEDDING_MODEL 指向本地模型目录。"
            ) from error
        model.max_seq_length = self.max_tokens
        return model

    @cached_property
    def _query_encoder(self) -> OnnxQueryEncoder | None:
        if self.requested_query_runtime is QueryRuntime.TORCH:
            return None
        try:
            return OnnxQueryEncoder.load(Path(self.model_name), max_tokens=self.max_tokens, threads=self.query_threads)
        except QueryEncoderUnavailable as error:
            if self.requested_query_runtime is QueryRuntime.ONNX:
                raise EmbeddingModelMissing(f"POLICYKB_EMBEDDING_QUERY_RUNTIME=onnx，但{error}") from error
            logger.warning("Queries are embedded with torch: %s", error)
            return None

    @property
    def query_runtime(self) -> QueryRuntime:
        """The runtime that embeds queries here (``auto`` resolved)."""
        return QueryRuntime.TORCH if self._query_encoder is None else QueryRuntime.ONNX

    @property
    def dimension(self) -> int:
        dimension = self._model.get_embedding_dimension()
        assert dimension is not None, "an e5 model ends in a pooling layer, which sets the dimension"
        return int(dimension)

    @property
    def model_key(self) -> str:
        # float32 keys keep their original form so existing caches stay valid.
        suffix = "" if self.precision is EmbeddingPrecision.FLOAT32 else f"|{self.precision.value}"
        return f"{Path(self.model_name).name}|{self.max_tokens}{suffix}"

    def warm_up(self, *, queries: bool = True, passages: bool = False) -> None:
        """Load the model(s) the coming work needs: the query encoder, and the torch model that embeds passages
        (with the ONNX query encoder, a server that never ingests never loads torch's copy of the model)."""
        if queries:
            self.embed_query("预热")
        if passages:
            self._encode([self.passage_prefix + "预热"], self.threads)

    def embed_query(self, text: str) -> np.ndarray:
        """The L2-normalised embedding of one question (through the ONNX encoder where there is one)."""
        if self._query_encoder is not None:
            return self._query_encoder.encode(self.query_prefix + text)
        return self._encode([self.query_prefix + text], self.query_threads)[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` (rows L2-normalised), using and filling the cache."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        hashes = [text_hash(text) for text in texts]
        known = self.cache.get_many(list(set(hashes))) if self.cache else {}
        missing = list(dict.fromkeys(h for h in hashes if h not in known))
        if missing:
            by_hash = dict(zip(hashes, texts, strict=True))
            vectors = self._encode([self.passage_prefix + by_hash[h] for h in missing], self.threads)
            computed = dict(zip(missing, vectors, strict=True))
            if self.cache:
                self.cache.put_many(computed)
            known.update(computed)
        return np.vstack([known[h] for h in hashes]).astype(np.float32)

    def _encode(self, texts: list[str], threads: int) -> np.ndarray:
        import torch

        with self._encode_lock:
            # Batches use several threads; a single query uses one: on a busy machine more threads than free
            # cores make a short query spin-wait tenfold longer.
            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            vectors = self._model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=False, convert_to_numpy=True, show_progress_bar=False
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        # Normalised here, in float32: normalising in a bfloat16 model's own precision leaves norms up to 0.5 % off 1.
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
