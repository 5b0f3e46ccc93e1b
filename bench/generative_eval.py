"""Generative vs extractive answers on the first N ncp_dev questions, with a local model server.

    .venv/bin/python bench/generative_eval.py --data-dir bench/data/ncp [--limit 10] [--model models/….gguf] [--threads 2]

Starts llama.cpp (xllamacpp) in this process on a free loopback port, then asks each question in both modes.
Prints the model load time, per-answer latency (p50/max), how often the answer text itself contains the gold
answer (strict: all of it; key part: 80 % of its character bigrams, as in ``qa.evaluation``), top-citation
accuracy, and how the generative answers ended (generated, sources completed, which fallback).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import describe_machine  # noqa: E402
from index.evaluation import path_matches  # noqa: E402
from policykb.assembly import PolicyKB  # noqa: E402
from policykb.settings import load_settings  # noqa: E402
from provisioning.llm import DEFAULT_MODEL  # noqa: E402
from qa.evaluation import key_part_found, load_qa_items, squash  # noqa: E402
from qa.llm_server import LocalModelServer, ModelServerConfig  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
EVAL = REPO.parent / "shared" / "corpus" / "eval"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/ncp"))
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--model", type=Path, default=REPO / "models" / DEFAULT_MODEL.file_name)
    parser.add_argument("--threads", type=int, default=1, help="model server CPU threads (0: all cores; 1 is robust on a busy machine)")
    parser.add_argument("--max-sources", type=int, default=None)
    parser.add_argument("--verbose", action="store_true", help="print every answer")
    args = parser.parse_args()
    print(f"machine: {describe_machine()}")
    started = time.perf_counter()
    server = LocalModelServer(ModelServerConfig(args.model, port=_free_port(), threads=args.threads)).start()
    print(f"model {args.model.name}: loaded in {time.perf_counter() - started:.1f} s")
    overrides: dict[str, object] = {"data_dir": args.data_dir, "llm_base_url": server.base_url, "llm_timeout_s": 600}
    if args.max_sources:
        overrides["llm_max_sources"] = args.max_sources
    extractive = PolicyKB(load_settings(**{**overrides, "answer_mode": "extractive"}))
    generative = PolicyKB(load_settings(**{**overrides, "answer_mode": "generative"}))
    extractive.answerer.warm_up()
    generative.answerer.warm_up()
    items = [item for item in load_qa_items(EVAL / "ncp_dev.jsonl") if item.answer and item.extractive_gold][: args.limit]
    scores = {mode: Counter() for mode in ("extractive", "generative")}
    latencies: dict[str, list[float]] = {"extractive": [], "generative": []}
    outcomes: Counter[str] = Counter()
    for item in items:
        for mode, kb in (("extractive", extractive), ("generative", generative)):
            began = time.perf_counter()
            answer = kb.answerer.ask(item.question, record=False)
            latencies[mode].append(time.perf_counter() - began)
            text = answer.answer
            scores[mode]["strict"] += squash(item.answer) in squash(text)
            scores[mode]["key part"] += squash(item.answer) in squash(text) or key_part_found(item.answer, text)
            scores[mode]["citation"] += bool(answer.citations) and any(path_matches(answer.citations[0].path, g) for g in item.gold_paths)
            scores[mode]["refused"] += answer.refused
            if mode == "generative":
                outcomes["refused" if answer.refused else (answer.notice or "generated").split("（")[0]] += 1
            if args.verbose:
                print(f"[{mode} {latencies[mode][-1]:.1f}s] {item.question}\n   gold: {item.answer[:80]}\n   got:  {text[:200]}", flush=True)
    n = len(items)
    print(f"{n} ncp_dev questions (extractive gold answers), index {args.data_dir}")
    for mode in ("extractive", "generative"):
        s, lat = scores[mode], latencies[mode]
        print(
            f"{mode:<11} answer contains gold: strict {s['strict']}/{n}, key part {s['key part']}/{n}; "
            f"top citation {s['citation']}/{n}; refused {s['refused']}/{n}; "
            f"latency p50 {statistics.median(lat):.2f} s, max {max(lat):.2f} s"
        )
    print("generative outcomes: " + ", ".join(f"{name} {count}" for name, count in outcomes.most_common()))
    extractive.close()
    generative.close()
    server.stop()


if __name__ == "__main__":
    main()
