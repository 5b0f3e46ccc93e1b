"""A small real library (laws with articles, Guangzhou Q&A pages, an expired notice), indexed once for tests/qa."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LIBRARY, MODEL_DIR

QA_DOCUMENTS = (
    "laws/行政法规/保障中小企业款项支付条例(2025-03-17).md",
    "laws/经济法/中小企业促进法(2017-09-01).md",
    "guangzhou/doc_16.txt",  # 创业担保贷款常见问题
    "guangzhou/doc_17.txt",  # 高校毕业生创业补贴
    "guangzhou/doc_29.txt",  # 特困人员救助供养通知: expired (有效期至 2026-04-12)
    "hohhot/呼和浩特市数字政府建设实施方案.txt",
)


@pytest.fixture(scope="session")
def qa_data_dir(tmp_path_factory) -> Path:
    from policykb.assembly import PolicyKB
    from policykb.settings import load_settings

    data_dir = tmp_path_factory.mktemp("qa") / "data"
    kb = PolicyKB(load_settings(data_dir=data_dir, embedding_model=str(MODEL_DIR)))
    outcomes = kb.ingestion.ingest_paths([LIBRARY / path for path in QA_DOCUMENTS], recursive=False)
    assert all(outcome.ok for outcome in outcomes), [o.reason for o in outcomes if not o.ok]
    kb.close()
    return data_dir


@pytest.fixture(scope="session")
def qa_kb(qa_data_dir):
    from policykb.assembly import PolicyKB
    from policykb.settings import load_settings

    kb = PolicyKB(load_settings(data_dir=qa_data_dir, embedding_model=str(MODEL_DIR)))
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def answerer(qa_kb):
    return qa_kb.answerer
