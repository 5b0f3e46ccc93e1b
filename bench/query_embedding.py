"""How long embedding one question takes, torch vs the int8 ONNX query encoder, and how close their vectors are.

    .venv/bin/python bench/query_embedding.py [--queries 300]

Questions are the last ``--queries`` of ncp_dev; one thread each (as ``POLICYKB_QUERY_TORCH_THREADS=1``). The
runtimes take turns question by question, so a neighbour's load hits them alike. Closeness is the cosine of each
question's ONNX vector to its torch float32 and bfloat16 vectors (passages are embedded by torch at ingestion).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine, percentile  # noqa: E402
from index.embedder import EmbeddingPrecision, PolicyEmbedder, QueryRuntime  # noqa: E402
from policykb.settings import load_settings  # noqa: E402

QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "eval" / "ncp_dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    settings = load_settings()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()][-args.queries :]
    embedders = {
        "torch float32": PolicyEmbedder(settings.embedding_model, precision=EmbeddingPrecision.FLOAT32, query_runtime=QueryRuntime.TORCH),
        "torch bfloat16": PolicyEmbedder(settings.embedding_model, precision=EmbeddingPrecision.BFLOAT16, query_runtime=QueryRuntime.TORCH),
        "onnx int8": PolicyEmbedder(settings.embedding_model, query_runtime=QueryRuntime.ONNX),
    }
    timings: dict[str, list[float]] = {name: [] for name in embedders}
    vectors: dict[str, list[np.ndarray]] = {name: [] for name in embedders}
    for embedder in embedders.values():
        embedder.warm_up()
    for question in questions:
        for name, embedder in embedders.items():
            started = time.perf_counter()
            vectors[name].append(embedder.embed_query(question))
            timings[name].append((time.perf_counter() - started) * 1000)
    print(f"machine: {describe_machine()}")
    print(f"{len(questions)} questions, one thread each")
    for name, times in timings.items():
        print(f"{name:>15}: p50 {percentile(times, 0.5):5.1f} ms   p95 {percentile(times, 0.95):5.1f} ms")
    onnx = np.vstack(vectors["onnx int8"])
    for reference in ("torch float32", "torch bfloat16"):
        cosines = np.sum(onnx * np.vstack(vectors[reference]), axis=1)
        print(f"onnx int8 vs {reference}: cosine min {cosines.min():.4f}, mean {cosines.mean():.4f}")


if __name__ == "__main__":
    main()
