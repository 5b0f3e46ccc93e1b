"""Shared fixtures: the real corpus, the real tokenizer and embedding model, real stores in temp dirs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
LIBRARY = CORPUS / "library"
MODEL_DIR = REPO / "models" / "multilingual-e5-small"


@pytest.fixture(scope="session")
def library() -> Path:
    if not LIBRARY.is_dir():
        pytest.fail(f"the shared corpus is missing at {LIBRARY}")
    return LIBRARY


@pytest.fixture(scope="session")
def tokenizer():
    from index.tokenizer import PolicyTokenizer

    return PolicyTokenizer()


@pytest.fixture(scope="session")
def embedder():
    from index.embedder import PolicyEmbedder

    if not MODEL_DIR.is_dir():
        pytest.fail(f"embedding model missing at {MODEL_DIR}: run `make install`")
    return PolicyEmbedder(str(MODEL_DIR))


@pytest.fixture()
def settings(tmp_path: Path):
    from policykb.settings import load_settings

    return load_settings(data_dir=tmp_path / "data", embedding_model=str(MODEL_DIR))
