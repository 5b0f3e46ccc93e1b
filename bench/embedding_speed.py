"""How fast multilingual-e5-small embeds Chinese policy text on this machine, and what faster settings cost.

Run: ``.venv/bin/python bench/embedding_speed.py [--passages 192] [--repeats 2]``.

Passages are real text from ``/work/shared/corpus/library/ncp/*.txt`` cut into 300-character pieces and
embedded with the ``passage: `` prompt, batch 32, on ``torch.set_num_threads(2)``. It compares
max_seq_length 512 and 256, corpus order and batches sorted by token count, fp32, torch dynamic int8
(``quantize_dynamic`` on ``nn.Linear``), bf16 autocast and bf16 weights, and reports single-query
latency. The quality of a faster setting is its cosine to the fp32 embeddings of the same passages,
and how many of each passage's 10 nearest neighbours stay the same.

Each figure is the best of ``--repeats`` runs. Next to the wall-clock rate it prints a CPU-time rate
(passages per second of process CPU time / threads): on a machine shared with other jobs (see the load
average it prints) the wall-clock rate understates what two free cores do, the CPU-time rate less so.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import describe_machine, peak_rss_mb, percentile  # noqa: E402
from provisioning.e5 import provision_e5_model  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "library" / "ncp"
PIECE_CHARS = 300
BATCH = 32
THREADS = 2
QUERIES = (
    "高新技术企业认定需要什么条件",
    "小微企业可以享受哪些税收优惠",
    "疫情期间企业复工复产有什么补贴",
    "研发费用加计扣除比例是多少",
)


@dataclass(frozen=True)
class Run:
    label: str
    seconds: float
    cpu_seconds: float
    embeddings: np.ndarray

    def per_second(self) -> float:
        return len(self.embeddings) / self.seconds

    def per_cpu_second(self) -> float:
        return len(self.embeddings) / (self.cpu_seconds / THREADS)


def load_passages(count: int) -> list[str]:
    """Up to two full 300-character pieces from each corpus file, whitespace collapsed, in file order."""
    passages: list[str] = []
    for path in sorted(CORPUS.glob("*.txt")):
        text = " ".join(path.read_text(encoding="utf-8").split())
        pieces = [text[i : i + PIECE_CHARS] for i in range(0, len(text) - PIECE_CHARS + 1, PIECE_CHARS)]
        passages.extend(pieces[:2])
        if len(passages) >= count:
            return passages[:count]
    if not passages:
        raise SystemExit(f"no text found under {CORPUS}")
    return passages


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def embed_in_order(model: SentenceTransformer, passages: Sequence[str], order: Sequence[int]) -> np.ndarray:
    """Embed batch by batch in ``order`` (sentence-transformers only reorders inside a batch, by characters)."""
    dimension = model.get_embedding_dimension()
    assert dimension is not None
    out = np.empty((len(passages), dimension), dtype=np.float32)
    ordered = [passages[i] for i in order]
    done = 0
    for batch in batches(ordered, BATCH):
        vectors = model.encode(batch, prompt_name="passage", batch_size=BATCH, convert_to_tensor=True).float()
        out[list(order[done : done + len(batch)])] = torch.nn.functional.normalize(vectors, dim=1).numpy()
        done += len(batch)
    return out


Context = Callable[[], AbstractContextManager[object]]


def timed(
    label: str,
    model: SentenceTransformer,
    passages: Sequence[str],
    order: Sequence[int],
    repeats: int,
    context: Context = nullcontext,
) -> Run:
    """Best of ``repeats`` timed passes, after one warm-up batch."""
    best: Run | None = None
    with torch.inference_mode(), context():
        model.encode(list(passages[:BATCH]), prompt_name="passage", batch_size=BATCH)
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            embeddings = embed_in_order(model, passages, order)
            run = Run(label, time.perf_counter() - wall, time.process_time() - cpu, embeddings)
            if best is None or run.seconds < best.seconds:
                best = run
    assert best is not None
    return best


def quality(run: Run, reference: Run, neighbours: int = 10) -> str:
    """Cosine to the reference embeddings, and overlap of each passage's nearest neighbours."""
    cosines = np.sum(run.embeddings * reference.embeddings, axis=1)

    def top(embeddings: np.ndarray) -> np.ndarray:
        similarity = embeddings @ embeddings.T
        np.fill_diagonal(similarity, -np.inf)
        return np.argsort(-similarity, axis=1)[:, :neighbours]

    ours, theirs = top(run.embeddings), top(reference.embeddings)
    overlap = np.mean([len(set(a) & set(b)) / neighbours for a, b in zip(ours, theirs, strict=True)])
    return (
        f"cosine vs {reference.label}: mean {cosines.mean():.5f}, min {cosines.min():.5f}; "
        f"top-{neighbours} neighbours kept {overlap:.0%}"
    )


def query_latency(model: SentenceTransformer, repeats: int, context: Context = nullcontext) -> tuple[float, float]:
    """p50 and p95 in ms of embedding one short query."""
    timings: list[float] = []
    with torch.inference_mode(), context():
        for query in QUERIES:
            model.encode([query], prompt_name="query")
        for i in range(repeats):
            started = time.perf_counter()
            model.encode([QUERIES[i % len(QUERIES)]], prompt_name="query")
            timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.5), percentile(timings, 0.95)


def report(run: Run, extra: str = "") -> None:
    print(
        f"  {run.label:<46} {run.per_second():6.1f} passages/s wall, {run.per_cpu_second():6.1f} per CPU-time"
        f"  ({run.seconds:5.1f} s){'  ' + extra if extra else ''}",
        flush=True,
    )


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def bf16_autocast() -> AbstractContextManager[object]:
    return torch.autocast("cpu", dtype=torch.bfloat16)


def quantize_int8(model: SentenceTransformer, *, keep_ffn_output: bool) -> SentenceTransformer:
    """``quantize_dynamic`` on ``nn.Linear``: all of them per-tensor (torch's default), or per-channel
    with each layer's FFN output projection left in fp32 (its input, after GELU, has the outliers that
    per-tensor int8 activations handle worst)."""
    quantization = torch.ao.quantization
    spec: dict[Any, Any]
    if not keep_ffn_output:
        spec = {torch.nn.Linear: quantization.default_dynamic_qconfig}
    else:
        names = {
            name
            for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and not (name.endswith("output.dense") and "attention" not in name)
        }
        spec = {name: quantization.per_channel_dynamic_qconfig for name in names}
    quantized: SentenceTransformer = quantization.quantize_dynamic(model, spec)  # type: ignore[no-untyped-call]
    return quantized


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models" / "multilingual-e5-small")
    parser.add_argument("--passages", type=int, default=192)
    parser.add_argument("--repeats", type=int, default=2, help="timed passes per configuration; the best counts")
    parser.add_argument("--query-repeats", type=int, default=60)
    args = parser.parse_args()

    warnings.filterwarnings("ignore", category=DeprecationWarning)  # torch.ao.quantization's notice
    warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*")
    torch.set_num_threads(THREADS)
    print(f"machine: {describe_machine()}; torch {torch.__version__}, {THREADS} threads")
    print(f"start: {load_average()}")
    model = SentenceTransformer(str(provision_e5_model(args.model_dir).model_dir), device="cpu")
    passages = load_passages(args.passages)
    lengths = np.array([len(model.tokenizer("passage: " + p)["input_ids"]) for p in passages])
    print(
        f"{len(passages)} passages of {PIECE_CHARS} chars from {CORPUS}: tokens mean {lengths.mean():.0f}, "
        f"min {lengths.min()}, max {lengths.max()}, over 256: {int((lengths > 256).sum())}; batch {BATCH}"
    )
    corpus_order = list(range(len(passages)))
    by_tokens = [int(i) for i in np.argsort(-lengths, kind="stable")]
    repeats = args.repeats

    print("fp32:")
    fp32: dict[int, Run] = {}
    for max_len in (512, 256):
        model.max_seq_length = max_len
        for name, order in (("corpus order", corpus_order), ("sorted by tokens", by_tokens)):
            run = timed(f"max_seq_length {max_len}, {name}", model, passages, order, repeats)
            fp32[max_len] = Run(f"fp32 ({max_len})", run.seconds, run.cpu_seconds, run.embeddings)
            report(run)
    p50, p95 = query_latency(model, args.query_repeats)
    print(f"  single query latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms")

    print("bf16 autocast, max_seq_length 256, sorted by tokens:")
    run = timed("bf16 autocast", model, passages, by_tokens, repeats, bf16_autocast)
    report(run, quality(run, fp32[256]))
    p50, p95 = query_latency(model, args.query_repeats, bf16_autocast)
    print(f"  single query latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms")

    print("bf16 weights (model.to(torch.bfloat16)), max_seq_length 256, sorted by tokens:")
    bf16_model = copy.deepcopy(model).to(torch.bfloat16)
    run = timed("bf16 weights", bf16_model, passages, by_tokens, repeats)
    report(run, quality(run, fp32[256]))
    p50, p95 = query_latency(bf16_model, args.query_repeats)
    print(f"  single query latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    del bf16_model

    print("torch dynamic int8 (quantize_dynamic on nn.Linear), max_seq_length 256, sorted by tokens:")
    for label, keep_ffn_output in (("int8 all Linear, per-tensor", False), ("int8 per-channel, FFN output fp32", True)):
        quantized = quantize_int8(model, keep_ffn_output=keep_ffn_output)
        run = timed(label, quantized, passages, by_tokens, repeats)
        report(run, quality(run, fp32[256]))
        p50, p95 = query_latency(quantized, args.query_repeats)
        print(f"  single query latency: p50 {p50:.1f} ms, p95 {p95:.1f} ms")

    print(f"peak RSS {peak_rss_mb():.0f} MB; end: {load_average()}")


if __name__ == "__main__":
    main()
