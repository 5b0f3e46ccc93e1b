"""``policykb ingest``: add policy files (and the metadata catalog that comes with them) to the library."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from index.storage_errors import ensure_writable
from policy.formats import supported_formats_text, supported_suffixes_text
from policykb.assembly import PolicyKB
from policykb.cli.common import DataDirOption, JsonOption, err, fail, settings_for

if TYPE_CHECKING:
    from ingestion.catalog import Catalog
    from ingestion.service import IngestOutcome

INGEST_HELP = f"把政策文件（{supported_formats_text()}）加入知识库。有文件失败时退出码为 1，其余文件照常入库。"


def _check_catalog_matches(catalog: Catalog, files: list[Path]) -> None:
    """Fail when the catalog names none of the files (its paths are read from another folder); say which rows name
    none of them."""
    listed = {str(file.resolve()) for file in files}
    unmatched = sorted((entry.line, path) for path, entry in catalog.entries.items() if path not in listed)
    if len(unmatched) == len(catalog.entries):
        fail(
            f"元数据目录中的文件与要入库的文件一个也对不上，未入库任何文件：目录中的 path 应相对于目录文件所在的文件夹"
            f"（{catalog.path.resolve().parent}），例如第 {unmatched[0][0]} 行指向 {unmatched[0][1]}"
        )
    if unmatched:
        shown = "；".join(f"第 {line} 行 {path}" for line, path in unmatched[:3])
        err.print(f"[yellow]元数据目录中有 {len(unmatched)} 行对应的文件不在本次入库范围内（{shown}{'……' if len(unmatched) > 3 else ''}），这些行未使用[/yellow]")


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="文件或文件夹")],
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="递归处理子文件夹")] = False,
    catalog_path: Annotated[
        Path | None,
        typer.Option("--catalog", help="随文件提供的元数据目录（.jsonl 或 .csv，每个文件一行：path、title、doc_number、issuer、date 等），其中的值优先于从正文提取的值"),
    ] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    from ingestion.catalog import CatalogError, read_catalog
    from ingestion.service import IngestStatus, expand_paths

    catalog = None
    if catalog_path is not None:
        try:
            catalog = read_catalog(catalog_path)
        except CatalogError as error:
            fail("元数据目录有误，未入库任何文件：\n" + "\n".join(error.problems))
        if catalog.ignored_fields:
            err.print(f"[yellow]元数据目录中的这些列不认识，已忽略：{'、'.join(catalog.ignored_fields)}[/yellow]")
    settings = settings_for(data_dir)
    ensure_writable(settings.data_dir)
    kb = PolicyKB(settings)
    files = list(expand_paths(paths, recursive))
    if not files:
        fail(f"没有找到可入库的文件（支持 {supported_suffixes_text()}；文件夹请确认路径或加 --recursive）")
    if catalog is not None:
        _check_catalog_matches(catalog, files)
    labels = {
        IngestStatus.INGESTED: "[green]已入库[/green]",
        IngestStatus.REPLACED: "[green]已更新[/green]",
        IngestStatus.UPDATED: "[green]元数据已更新[/green]",
        IngestStatus.UNCHANGED: "[dim]未变化[/dim]",
        IngestStatus.DUPLICATE: "[yellow]重复[/yellow]",
        IngestStatus.REJECTED: "[red]失败[/red]",
    }
    outcomes: list[IngestOutcome] = []
    with Progress(
        TextColumn("入库"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, disable=as_json
    ) as progress:
        task = progress.add_task("ingest", total=len(files))

        def report(outcome: IngestOutcome) -> None:
            outcomes.append(outcome)
            progress.advance(task)
            if not as_json:
                detail = outcome.reason or f"{outcome.title or ''}（{outcome.chunks} 段）"
                progress.console.print(f"{labels[outcome.status]} {outcome.path}：{detail}")

        kb.ingestion.ingest_paths(files, recursive=False, on_outcome=report, catalog=catalog)
    failed = [o for o in outcomes if not o.ok]
    if as_json:
        print(json.dumps([{**asdict(o), "status": o.status.value} for o in outcomes], ensure_ascii=False, indent=2))
    else:
        counts = {status: sum(o.status == status for o in outcomes) for status in IngestStatus}
        err.print(
            f"共 {len(outcomes)} 个文件：新入库 {counts[IngestStatus.INGESTED]}，更新 {counts[IngestStatus.REPLACED]}，"
            f"元数据更新 {counts[IngestStatus.UPDATED]}，"
            f"未变化 {counts[IngestStatus.UNCHANGED]}，重复 {counts[IngestStatus.DUPLICATE]}，失败 {len(failed)}"
        )
    kb.close()
    raise typer.Exit(1 if failed else 0)
