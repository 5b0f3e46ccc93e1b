"""Builds the evaluation index the Q&A figures in docs/benchmarks.md were measured on.

    .venv/bin/python bench/build_eval_index.py [--data-dir bench/data/library2]

The index holds the 1,197 library files listed in bench/eval_library.txt: every document an eval set names, all of
ncp/, guangzhou/, guangzhou_html/, hohhot/, pkulaw/ and formats/, and laws and realestate files as distractors — a
third of the shared corpus's library, ingested in minutes instead of the hour the whole library takes on 2 cores.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LIBRARY = REPO.parent / "shared" / "corpus" / "library"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=REPO / "bench" / "data" / "library2")
    args = parser.parse_args()
    names = (REPO / "bench" / "eval_library.txt").read_text(encoding="utf-8").split("\n")
    paths = [str(LIBRARY / name) for name in names if name.strip()]
    missing = [path for path in paths if not Path(path).exists()]
    if missing:
        sys.exit(f"{len(missing)} listed files are not in {LIBRARY}, e.g. {missing[0]}")
    command = [str(REPO / ".venv" / "bin" / "policykb"), "ingest", *paths, "--data-dir", str(args.data_dir)]
    sys.exit(subprocess.call(command))


if __name__ == "__main__":
    main()
