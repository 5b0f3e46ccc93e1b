"""`policykb es check` and `policykb reindex` against the cluster of this test session."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from index.elasticsearch.admin import CheckState, ReindexError, check_cluster, current_indices, reindex
from index.elasticsearch.mapping import IndexLayout
from policykb.cli import app
from tests.elasticsearch.conftest import unique_prefix
from tests.elasticsearch.test_elasticsearch_store import synthetic_document


@pytest.fixture()
def cli_environment(es_connection, monkeypatch, tmp_path):
    if es_connection.api_key or es_connection.username:
        pytest.skip("the CLI tests use the stand-in's open access")
    prefix = unique_prefix()
    for name, value in {
        "POLICYKB_INDEX_BACKEND": "elasticsearch", "POLICYKB_ELASTICSEARCH_URL": es_connection.url,
        "POLICYKB_ELASTICSEARCH_INDEX_PREFIX": prefix, "POLICYKB_ELASTICSEARCH_REPLICAS": "0",
        "POLICYKB_DATA_DIR": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(name, value)
    return prefix


def test_es_check_reports_each_step(make_store, cli_environment, on_stand_in) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["es", "check"])
    assert missing.exit_code == 1
    assert "✓ connectivity" in missing.output and "✗ indices" in missing.output
    assert f"没有别名 {cli_environment}-documents" in missing.output

    make_store(prefix=cli_environment)
    ready = runner.invoke(app, ["es", "check"])
    assert ready.exit_code == 0, ready.output
    assert "✓ indices：映射与此版本一致" in ready.output
    if on_stand_in:
        assert "! version：这是 noida-db 替身" in ready.output

    rebuilt = runner.invoke(app, ["reindex"])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert f"已切换到 {cli_environment}-documents-v2、{cli_environment}-chunks-v2" in rebuilt.output
    assert runner.invoke(app, ["es", "check"]).exit_code == 0


def test_es_check_names_mapping_differences_and_a_missing_ik(make_store) -> None:
    store = make_store()
    wanted = IndexLayout(prefix=store.layout.prefix, embedding_dims=512, use_ik=True, replicas=0)
    report = check_cluster(store.client, wanted, store.url)
    states = {r.name: r for r in report.results}
    assert states["indices"].state == CheckState.FAILED
    assert "embedding 的 dims 为 384，应为 512" in states["indices"].message
    assert "分词方式为 jieba-whitespace，当前设置要求 ik" in states["indices"].message
    assert "policykb reindex" in states["indices"].message
    if not _cluster_has_ik(store.client):
        assert states["ik"].state == CheckState.FAILED and "analysis-ik" in states["ik"].message


def _cluster_has_ik(client) -> bool:
    try:
        client.indices.analyze(analyzer="ik_smart", text="测试")
        return True
    except Exception:  # noqa: BLE001 — any refusal means no IK
        return False


def test_reindex_switches_aliases_and_keeps_every_record(make_store) -> None:
    store = make_store()
    store.replace_documents([synthetic_document(f"d{i}", ["就业", "创业", f"词{i}"], seed=i) for i in range(5)])
    before = current_indices(store.client, store.layout)
    hits_before = [h.chunk.chunk_id for h in store.bm25_search(["词3"], 3)]

    report = reindex(store.client, store.layout)

    assert report.old_indices == before and report.removed_old
    assert current_indices(store.client, store.layout) == (f"{store.layout.prefix}-documents-v2", f"{store.layout.prefix}-chunks-v2")
    assert not store.client.indices.exists(index=before[1]).body
    assert (report.documents, report.chunks) == (5, 15)
    assert [h.chunk.chunk_id for h in store.bm25_search(["词3"], 3)] == hits_before
    store.replace_document(*synthetic_document("d5", ["新增"]))  # the new indices take writes
    assert store.count_documents() == 6


def test_failed_reindex_leaves_the_old_indices_in_service(make_store) -> None:
    store = make_store()
    store.replace_document(*synthetic_document("d0", ["就业"]))
    before = current_indices(store.client, store.layout)
    other_dims = IndexLayout(prefix=store.layout.prefix, embedding_dims=8, replicas=0)
    with pytest.raises(ReindexError) as raised:
        reindex(store.client, other_dims)
    assert "未切换别名" in str(raised.value) or "别名仍指向旧索引" in str(raised.value) or "复制" in str(raised.value)
    assert current_indices(store.client, store.layout) == before
    store.replace_document(*synthetic_document("d1", ["创业"]))  # writable again
    assert store.count_documents() == 2
