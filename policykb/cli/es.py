"""``policykb es check`` and ``policykb reindex``: the Elasticsearch backend's cluster and indices."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from policykb.assembly import elasticsearch_config
from policykb.cli.common import DataDirOption, JsonOption, fail, out, settings_for

if TYPE_CHECKING:
    from elasticsearch import Elasticsearch

    from index.elasticsearch.mapping import IndexLayout

es_app = typer.Typer(help="Elasticsearch 后端：连接与映射检查", no_args_is_help=True)


def _elasticsearch_admin(data_dir: Path | None) -> tuple[Elasticsearch, IndexLayout, str]:
    """Client, index layout and URL of the configured cluster (nothing is created)."""
    from index.elasticsearch.errors import ElasticsearchStoreError

    settings = settings_for(data_dir)
    try:
        config = elasticsearch_config(settings)
        return config.connection.client(), config.layout, config.connection.url
    except (ElasticsearchStoreError, ValueError) as error:
        fail(str(error))


@es_app.command("check")
def es_check(data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """检查 Elasticsearch：连接、认证、版本、集群健康、索引映射是否与此版本一致。有失败项时退出码为 1。"""
    from index.elasticsearch.admin import CheckState, check_cluster

    client, layout, url = _elasticsearch_admin(data_dir)
    report = check_cluster(client, layout, url)
    client.close()
    if as_json:
        print(json.dumps([{**asdict(r), "state": r.state.value} for r in report.results], ensure_ascii=False, indent=2))
    else:
        marks = {CheckState.OK: "[green]✓[/green]", CheckState.WARNING: "[yellow]![/yellow]", CheckState.FAILED: "[red]✗[/red]"}
        for result in report.results:
            out.print(f"{marks[result.state]} {result.name}：{result.message}")
    raise typer.Exit(0 if report.ok else 1)


def reindex(
    keep_old: Annotated[bool, typer.Option("--keep-old", help="保留旧索引（只读），不删除")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Elasticsearch 后端：按当前设置与映射建新版本索引，复制数据后原子切换别名（检索不中断），再删除旧索引。

    复制期间旧索引只读，入库会失败并提示稍后重试。
    """
    from index.elasticsearch.admin import reindex as rebuild
    from index.elasticsearch.errors import ElasticsearchStoreError

    client, layout, _ = _elasticsearch_admin(data_dir)
    try:
        report = rebuild(client, layout, keep_old=keep_old)
    except ElasticsearchStoreError as error:
        client.close()
        fail(str(error), code=1)
    client.close()
    out.print(f"已切换到 {report.new_indices[0]}、{report.new_indices[1]}（{report.documents} 个文档，{report.chunks} 个段落）")
    out.print(("已删除" if report.removed_old else "已保留（只读）") + f"旧索引 {'、'.join(report.old_indices)}")
