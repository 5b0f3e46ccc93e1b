"""Operating the Elasticsearch backend: `policykb es check` and `policykb reindex`.

``check_cluster`` answers, one step at a time, whether PolicyKB can work with a cluster: connectivity, credentials,
version, health, and whether the indices look the way this version of PolicyKB expects. Each failing step says
what to change. ``reindex`` builds the next version of both indices, copies the data, and moves the aliases in
one atomic request, so searches never stop; writes are blocked (and fail with a clear message) while it copies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import Enum

from elasticsearch import (
    ApiError,
    AuthenticationException,
    AuthorizationException,
    Elasticsearch,
    NotFoundError,
    TransportError,
)

from index.elasticsearch.errors import ElasticsearchStoreError, describe_auth_error, describe_connection_error
from index.elasticsearch.mapping import (
    IK_SEARCH_ANALYZER,
    IndexLayout,
    chunks_mappings,
    create_versioned_indices,
    documents_mappings,
    mapping_differences,
)

logger = logging.getLogger(__name__)

_STAND_IN_MARKERS = ("noida",)


class CheckState(str, Enum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class CheckResult:
    name: str  # connectivity, authentication, version, health, indices, ik
    state: CheckState
    message: str  # Chinese; says what to do when not OK


@dataclass
class ClusterReport:
    results: list[CheckResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.state != CheckState.FAILED for r in self.results)

    def add(self, name: str, state: CheckState, message: str) -> None:
        self.results.append(CheckResult(name, state, message))


def check_cluster(client: Elasticsearch, layout: IndexLayout, url: str) -> ClusterReport:
    """Connectivity, authentication, version, health and index mappings, in that order; stops at the first blocker."""
    report = ClusterReport()
    try:
        info = client.options(max_retries=0).info().body
    except (AuthenticationException, AuthorizationException) as error:
        report.add("connectivity", CheckState.OK, f"已连接 {url}")
        report.add("authentication", CheckState.FAILED, describe_auth_error(url, error))
        return report
    except TransportError as error:
        report.add("connectivity", CheckState.FAILED, describe_connection_error(url, error))
        return report
    except ApiError as error:
        report.add("connectivity", CheckState.FAILED, f"{url} 的应答不像 Elasticsearch（HTTP {error.meta.status}）：请确认地址和端口")
        return report
    report.add("connectivity", CheckState.OK, f"已连接 {url}（集群 {info.get('cluster_name')}，节点 {info.get('name')}）")
    _check_authentication(client, report)
    version = (info.get("version") or {}).get("number", "")
    stand_in = any(marker in str(info).lower() for marker in _STAND_IN_MARKERS)
    if not version.startswith("8."):
        report.add("version", CheckState.FAILED, f"集群版本为 {version or '未知'}，PolicyKB 需要 Elasticsearch 8.x")
    elif stand_in:
        report.add("version", CheckState.WARNING, f"这是 noida-db 替身（模仿 Elasticsearch {version}），不是真正的 Elasticsearch：只适合测试")
    else:
        report.add("version", CheckState.OK, f"Elasticsearch {version}")
    _check_health(client, report)
    _check_indices(client, layout, report)
    if layout.use_ik:
        _check_ik(client, report)
    return report


def _check_authentication(client: Elasticsearch, report: ClusterReport) -> None:
    try:
        who = client.security.authenticate().body
    except (AuthenticationException, AuthorizationException) as error:
        report.add("authentication", CheckState.FAILED, describe_auth_error("集群", error))
        return
    except ApiError as error:
        if error.meta.status in (400, 404, 405, 410, 500):
            report.add("authentication", CheckState.WARNING, "集群没有开启安全功能（或是测试替身），未验证身份；生产环境请开启 xpack.security")
            return
        raise
    realm = (who.get("authentication_realm") or {}).get("name", "")
    report.add("authentication", CheckState.OK, f"已认证为 {who.get('username')}（{realm}）")


def _check_health(client: Elasticsearch, report: ClusterReport) -> None:
    health = client.cluster.health().body
    status = health.get("status")
    nodes = health.get("number_of_nodes")
    if status == "green":
        report.add("health", CheckState.OK, f"集群状态 green，{nodes} 个节点")
    elif status == "yellow":
        report.add("health", CheckState.WARNING, f"集群状态 yellow（{health.get('unassigned_shards')} 个副本分片未分配，{nodes} 个节点）："
                   f"单节点集群请把 POLICYKB_ELASTICSEARCH_REPLICAS 设为 0 后运行 `policykb reindex`，或增加节点")
    else:
        report.add("health", CheckState.FAILED, f"集群状态 {status}：有主分片不可用，检索会缺数据。请先用 GET _cluster/allocation/explain 查明原因")


def _check_indices(client: Elasticsearch, layout: IndexLayout, report: ClusterReport) -> None:
    expected = {layout.documents_alias: documents_mappings(layout), layout.chunks_alias: chunks_mappings(layout)}
    problems: list[str] = []
    described: list[str] = []
    for alias, mapping in expected.items():
        try:
            names = list(client.indices.get_alias(name=alias).body)
        except NotFoundError:
            problems.append(f"没有别名 {alias}（首次启动 PolicyKB 时会自动创建；若已入库过，请检查 POLICYKB_ELASTICSEARCH_INDEX_PREFIX）")
            continue
        if len(names) != 1:
            problems.append(f"别名 {alias} 指向 {len(names)} 个索引（{', '.join(names)}），应只指向一个：可能有未完成的 reindex")
            continue
        actual = client.indices.get_mapping(index=names[0]).body[names[0]]["mappings"]
        differences = mapping_differences(mapping, actual)
        if differences:
            problems.append(f"{names[0]} 的映射与此版本不一致：" + "；".join(differences[:6]))
        count = client.count(index=alias)["count"]
        described.append(f"{alias} → {names[0]}（{count} 条）")
    if problems:
        report.add("indices", CheckState.FAILED, "；".join(problems) + "。映射不一致时运行 `policykb reindex` 按当前版本重建")
    else:
        report.add("indices", CheckState.OK, "映射与此版本一致：" + "，".join(described))


def _check_ik(client: Elasticsearch, report: ClusterReport) -> None:
    try:
        client.indices.analyze(analyzer=IK_SEARCH_ANALYZER, text="高新技术企业")
    except ApiError:
        report.add("ik", CheckState.FAILED, "已设置 POLICYKB_ELASTICSEARCH_USE_IK=true，但集群没有 IK 分词插件：在每个节点安装与集群版本一致的 "
                   "analysis-ik 后重启，或把该设置改回 false（见 docs/elasticsearch.md）")
        return
    report.add("ik", CheckState.OK, "IK 分词插件可用")


# --- reindex --------------------------------------------------------------------------------------------------


class ReindexError(ElasticsearchStoreError):
    """The reindex stopped; the aliases still point to the old indices, so nothing changed for readers."""


@dataclass(frozen=True)
class ReindexReport:
    old_indices: tuple[str, ...]
    new_indices: tuple[str, str]
    documents: int
    chunks: int
    removed_old: bool


def current_indices(client: Elasticsearch, layout: IndexLayout) -> tuple[str, str]:
    """The concrete documents and chunks indices behind the aliases."""
    found = []
    for alias in (layout.documents_alias, layout.chunks_alias):
        try:
            names = list(client.indices.get_alias(name=alias).body)
        except NotFoundError:
            raise ReindexError(f"没有别名 {alias}：没有可重建的索引（首次启动 PolicyKB 会创建）") from None
        if len(names) != 1:
            raise ReindexError(f"别名 {alias} 指向 {len(names)} 个索引（{', '.join(names)}）：请先人工确认并只保留一个")
        found.append(names[0])
    return found[0], found[1]


def reindex(client: Elasticsearch, layout: IndexLayout, *, keep_old: bool = False, request_timeout: float = 6 * 3600) -> ReindexReport:
    """Copy both indices into new versions with the current settings and mappings, then switch the aliases atomically.

    :param layout: the layout wanted (settings may differ from the old indices': replicas, IK, vector index type).
    :param keep_old: keep the old indices (still write-blocked) instead of deleting them.
    :raises ReindexError: nothing switched; the old indices are writable again and the new ones removed.
    """
    old_documents, old_chunks = current_indices(client, layout)
    version = 1 + max(IndexLayout.version_of(old_documents) or 0, IndexLayout.version_of(old_chunks) or 0)
    new_documents, new_chunks = layout.documents_index(version), layout.chunks_index(version)
    long = client.options(request_timeout=request_timeout)
    created = False
    try:
        create_versioned_indices(client, layout, version)
        created = True
        client.indices.add_block(index=f"{old_documents},{old_chunks}", block="write")
        for source, dest in ((old_documents, new_documents), (old_chunks, new_chunks)):
            result = long.reindex(source={"index": source}, dest={"index": dest}, refresh=True, wait_for_completion=True).body
            if result.get("failures"):
                raise ReindexError(f"复制 {source} → {dest} 时出错：{str(result['failures'][0])[:300]}")
        counts = {}
        for source, dest in ((old_documents, new_documents), (old_chunks, new_chunks)):
            before, after = client.count(index=source)["count"], client.count(index=dest)["count"]
            if before != after:
                raise ReindexError(f"{dest} 中有 {after} 条，{source} 中有 {before} 条：复制不完整，未切换别名")
            counts[dest] = after
        client.indices.update_aliases(actions=[
            {"remove": {"index": old_documents, "alias": layout.documents_alias}},
            {"remove": {"index": old_chunks, "alias": layout.chunks_alias}},
            {"add": {"index": new_documents, "alias": layout.documents_alias, "is_write_index": True}},
            {"add": {"index": new_chunks, "alias": layout.chunks_alias, "is_write_index": True}},
        ])
    except BaseException as error:
        _undo(client, old_documents, old_chunks, new_documents, new_chunks, created)
        if isinstance(error, ReindexError):
            raise
        if isinstance(error, (ApiError, TransportError)):
            raise ReindexError(f"重建索引失败，别名仍指向旧索引、旧索引已恢复可写：{str(error)[:300]}") from error
        raise
    if not keep_old:
        client.indices.delete(index=f"{old_documents},{old_chunks}")
    return ReindexReport((old_documents, old_chunks), (new_documents, new_chunks), counts[new_documents], counts[new_chunks], not keep_old)


def _undo(client: Elasticsearch, old_documents: str, old_chunks: str, new_documents: str, new_chunks: str, created: bool) -> None:
    try:
        client.indices.put_settings(index=f"{old_documents},{old_chunks}", settings={"index.blocks.write": False})
        if created:
            client.indices.delete(index=f"{new_documents},{new_chunks}", ignore_unavailable=True)
    except (ApiError, TransportError) as error:
        # The caller reports the original error; this one says what may need a hand.
        logger.warning("回滚 reindex 未完成（请用 `policykb es check` 检查，必要时手动解除 %s 的写入锁）：%s", old_documents, error)
