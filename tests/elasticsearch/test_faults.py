"""What an operator sees when the cluster misbehaves: not running, wrong credentials, stopped mid-bulk, index gone."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest
from elasticsearch import Elasticsearch

from index.elasticsearch.admin import CheckState, check_cluster
from index.elasticsearch.config import ElasticsearchConnection
from index.elasticsearch.errors import (
    ElasticsearchAuthError,
    ElasticsearchUnavailable,
    IndexMissingError,
    MappingConflictError,
)
from index.elasticsearch.mapping import IndexLayout
from index.elasticsearch.store import ElasticsearchPolicyStore
from tests.elasticsearch.conftest import free_port, start_noida, unique_prefix
from tests.elasticsearch.test_elasticsearch_store import synthetic_document


def test_server_not_running_says_how_to_fix_it() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    store = ElasticsearchPolicyStore(ElasticsearchConnection(url=url, max_retries=0).client(), IndexLayout(prefix="policykb"), url=url)
    with pytest.raises(ElasticsearchUnavailable) as raised:
        store.ensure_indices()
    assert f"无法连接 Elasticsearch（{url}）" in str(raised.value)
    assert "POLICYKB_ELASTICSEARCH_URL" in str(raised.value)
    report = check_cluster(store.client, store.layout, url)
    assert [(r.name, r.state) for r in report.results] == [("connectivity", CheckState.FAILED)]


class _RejectingCluster(BaseHTTPRequestHandler):
    """Answers like a secured Elasticsearch 8 given a wrong password: HTTP 401 with its error body and headers."""

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({
            "error": {"root_cause": [{"type": "security_exception", "reason": "unable to authenticate user [policykb] for REST request [/]"}],
                      "type": "security_exception", "reason": "unable to authenticate user [policykb] for REST request [/]"},
            "status": 401,
        }).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-elastic-product", "Elasticsearch")
        self.send_header("WWW-Authenticate", 'Basic realm="security" charset="UTF-8"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args: object) -> None:
        pass


def test_wrong_credentials_name_the_settings_to_check(on_stand_in, es_connection) -> None:
    if on_stand_in:
        # The stand-in has no security; answer the way a secured cluster does (recorded 401 response).
        server = HTTPServer(("127.0.0.1", 0), _RejectingCluster)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
    else:
        server, url = None, es_connection.url
    try:
        connection = ElasticsearchConnection(url=url, username="policykb", password="wrong-password", ca_certs=es_connection.ca_certs, max_retries=0)
        store = ElasticsearchPolicyStore(connection.client(), IndexLayout(prefix=unique_prefix()), url=url)
        with pytest.raises(ElasticsearchAuthError) as raised:
            store.ensure_indices()
        assert "认证失败" in str(raised.value) and "POLICYKB_ELASTICSEARCH_PASSWORD" in str(raised.value)
        assert "wrong-password" not in str(raised.value) and "wrong-password" not in repr(connection)
        report = check_cluster(store.client, store.layout, url)
        assert report.results[-1].name == "authentication" and report.results[-1].state == CheckState.FAILED
    finally:
        if server is not None:
            server.shutdown()


def test_server_stopped_mid_bulk_reports_failures_and_a_retry_completes(tmp_path, on_stand_in, monkeypatch) -> None:
    if not on_stand_in:
        pytest.skip("stops the server: stand-in only")
    server = start_noida(tmp_path)
    store = ElasticsearchPolicyStore(
        Elasticsearch(server.url), IndexLayout(prefix="policykb", replicas=0), url=server.url,
        bulk_batch_size=8, max_retries=2, retry_backoff_s=0.05,
    )
    try:
        store.ensure_indices()
        items = [synthetic_document(f"doc{i:02d}", [f"词{i}_{j}" for j in range(3)], seed=i) for i in range(20)]
        real_bulk, calls = Elasticsearch.bulk, []

        def bulk_then_stop(self, *args, **kwargs):
            calls.append(1)
            if len(calls) == 4:
                server.stop()  # after three batches (24 of 60 chunks) went in
            return real_bulk(self, *args, **kwargs)

        monkeypatch.setattr(Elasticsearch, "bulk", bulk_then_stop)
        report = store.replace_documents(items)
        monkeypatch.setattr(Elasticsearch, "bulk", real_bulk)
        assert report.failed and not report.written  # the document records come after all chunks
        assert set(report.failed) == {d.doc_id for d, _ in items}
        assert all("无法连接" in reason for reason in report.failed.values())

        server.start()
        assert store.count_documents() == 0  # nothing half-visible
        assert all(store.bm25_search([f"词{i}_0"], 5) == [] for i in range(20))
        retry = store.replace_documents([item for item in items if item[0].doc_id in report.failed])
        assert retry.ok and len(retry.written) == 20
        assert store.count_documents() == 20
        assert store.count_chunks() == 60  # nothing duplicated: the leftovers of the failed attempt are gone
        assert [c.chunk_id for c in store.get_chunks("doc07")] == ["doc07:0", "doc07:1", "doc07:2"]
        assert store.bm25_search(["词7_1"], 1)[0].chunk.chunk_id == "doc07:1"
    finally:
        store.close()
        server.stop()


def test_documents_written_before_the_outage_stay_and_later_ones_are_reported(tmp_path, on_stand_in, monkeypatch) -> None:
    if not on_stand_in:
        pytest.skip("stops the server: stand-in only")
    server = start_noida(tmp_path)
    store = ElasticsearchPolicyStore(
        Elasticsearch(server.url), IndexLayout(prefix="policykb", replicas=0), url=server.url, max_retries=1, retry_backoff_s=0.05,
    )
    try:
        store.ensure_indices()
        first = [synthetic_document(f"a{i}", ["甲", "乙"], seed=i) for i in range(3)]
        assert store.replace_documents(first).ok
        server.stop()
        report = store.replace_documents([synthetic_document("b0", ["丙"])])
        assert report.failed.keys() == {"b0"}
        server.start()
        assert store.count_documents() == 3 and store.count_chunks() == 6
    finally:
        store.close()
        server.stop()


def test_bulk_retries_rejections_with_backoff(make_store, monkeypatch) -> None:
    store = make_store(bulk_batch_size=100)
    real_bulk, sent = Elasticsearch.bulk, []

    def reject_first(self, *args, operations, **kwargs):
        operations = list(operations)
        sent.append(len(operations))
        if len(sent) == 1:  # what a busy cluster answers: every item 429
            items = [{"index": {"_index": "x", "_id": op["index"]["_id"], "status": 429,
                                "error": {"type": "es_rejected_execution_exception", "reason": "rejected execution"}}}
                     for op in operations if "index" in op]
            return {"errors": True, "items": items}
        return real_bulk(self, *args, operations=operations, **kwargs)

    monkeypatch.setattr(Elasticsearch, "bulk", reject_first)
    sleeps: list[float] = []
    monkeypatch.setattr("index.elasticsearch.bulk.time.sleep", sleeps.append)
    store.replace_document(*synthetic_document("busy", ["就业", "补贴"]))
    assert sent[:2] == [4, 4] and sleeps == [0.05]
    assert store.count_chunks() == 2 and store.get_document("busy") is not None


def test_index_missing_is_reported_and_never_recreated_by_a_write(make_store) -> None:
    store = make_store()
    store.replace_document(*synthetic_document("doc", ["政策"]))
    (chunks_index,) = store.client.indices.get_alias(name=store.layout.chunks_alias).body
    store.client.indices.delete(index=chunks_index)
    with pytest.raises(IndexMissingError) as raised:
        store.bm25_search(["政策"], 5)
    assert store.layout.chunks_alias in str(raised.value) and "policykb es check" in str(raised.value)
    with pytest.raises(IndexMissingError):
        store.replace_document(*synthetic_document("doc2", ["政策"]))
    assert not store.client.indices.exists(index=store.layout.chunks_alias).body  # no dynamic-mapped index appeared


def test_mapping_conflict_is_a_clear_error(make_store) -> None:
    store = make_store()
    document, chunks = synthetic_document("small", ["政策"])
    wrong = [with_changes(chunks[0], embedding=np.ones(3, dtype=np.float32) / np.sqrt(3))]
    with pytest.raises(MappingConflictError) as raised:
        store.replace_document(document, wrong)
    assert "索引映射拒绝" in str(raised.value) and "dense_vector" in str(raised.value)
    assert store.get_document("small") is None and store.count_chunks() == 0


def with_changes(chunk, **changes):
    from dataclasses import replace

    return replace(chunk, **changes)
