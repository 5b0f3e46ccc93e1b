"""The Q&A tests of tests/qa, run unchanged with the Elasticsearch backend selected by settings."""

from __future__ import annotations

import pytest

from tests.conftest import LIBRARY, MODEL_DIR
from tests.elasticsearch.conftest import unique_prefix
from tests.qa.conftest import QA_DOCUMENTS
from tests.qa.test_answers import *  # noqa: F403 — the same test functions, collected here with the fixtures below


@pytest.fixture(scope="module")
def qa_kb(es_connection, tmp_path_factory):
    from policykb.assembly import PolicyKB
    from policykb.settings import load_settings

    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("qa-es") / "data", embedding_model=str(MODEL_DIR),
        index_backend="elasticsearch", elasticsearch_url=es_connection.url, elasticsearch_index_prefix=unique_prefix(),
        elasticsearch_replicas=0,
    )
    kb = PolicyKB(settings)
    outcomes = kb.ingestion.ingest_paths([LIBRARY / path for path in QA_DOCUMENTS], recursive=False)
    assert all(outcome.ok for outcome in outcomes), [o.reason for o in outcomes if not o.ok]
    yield kb
    kb.store.drop_indices()
    kb.close()


@pytest.fixture(scope="module")
def answerer(qa_kb):
    return qa_kb.answerer
