"""A bounded load run (the full one is `bench/load.py`): clients ask while staff upload; no errors, no broken citation."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import load_questions, run_load
from tests.conftest import MODEL_DIR, REPO
from tests.helpers import cli_env, run_cli

pytestmark = pytest.mark.slow  # ~1–2 min of CPU on 2 cores: `make test-slow`


def test_questions_during_uploads_all_succeed_and_cite_whole_documents(library: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    laws = sorted((REPO / "policies_sample" / "laws").glob("*.md"))[:3]
    assert run_cli(["ingest", *map(str, laws)], cli_env(data_dir, MODEL_DIR)).returncode == 0
    uploads = sorted((library / "ncp").glob("*.txt"))[:40]
    report = run_load(data_dir, uploads, load_questions(60), clients=8, seconds=15)
    assert report.requests >= 8 and not report.errors, report.summary()
    assert report.uploads_ok >= 1 and report.uploads_failed == 0, report.summary()
    assert report.citations_checked > 0 and not report.citations_broken, report.summary()
