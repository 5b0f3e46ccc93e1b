"""``policykb docs list | show | delete``: the documents in the library."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ingestion.outline import document_outline
from policykb.assembly import PolicyKB
from policykb.cli.common import DataDirOption, JsonOption, fail, out, settings_for

docs_app = typer.Typer(help="查看、删除已入库的文档", no_args_is_help=True)


@docs_app.command("list")
def docs_list(
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """列出已入库的文档（最新在前）。"""
    kb = PolicyKB(settings_for(data_dir))
    documents = kb.store.list_documents(limit=limit, offset=offset)
    if as_json:
        print(json.dumps([d.summary() for d in documents], ensure_ascii=False, indent=2))
    else:
        out.print(f"共 {kb.store.count_documents()} 个文档，{kb.store.count_chunks()} 个段落")
        for document in documents:
            meta = document.metadata
            out.print(f"{document.doc_id}  《{meta.title}》 {meta.doc_number or ''}  [dim]{document.path}[/dim]")
    kb.close()


@docs_app.command("show")
def docs_show(doc_id: str, data_dir: DataDirOption = None, as_json: JsonOption = False) -> None:
    """显示一个文档的元数据和分段。"""
    kb = PolicyKB(settings_for(data_dir))
    document = kb.store.get_document(doc_id)
    if document is None:
        fail(f"没有 ID 为 {doc_id} 的文档（用 `policykb docs list` 查看）", code=1)
    chunks = kb.store.get_chunks(doc_id)
    summary = document.summary()
    outline = document_outline(document.text)
    if as_json:
        summary["outline"] = [entry.as_dict() for entry in outline]
        summary["chunks"] = [{"section": c.section, "char_start": c.char_start, "char_end": c.char_end, "text": c.text} for c in chunks]
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        for key, value in summary.items():
            out.print(f"[bold]{key}[/bold]: {value}")
        for entry in outline:
            out.print(f"{'  ' * entry.level}{entry.label} {entry.title} @{entry.offset}", markup=False)
        for chunk in chunks:
            out.print(f"[cyan]{chunk.section or '（无标题）'}[/cyan] [{chunk.char_start}:{chunk.char_end}] {chunk.text[:80]}")
    kb.close()


@docs_app.command("delete")
def docs_delete(doc_id: str, data_dir: DataDirOption = None) -> None:
    """从知识库删除一个文档及其所有段落。"""
    kb = PolicyKB(settings_for(data_dir))
    if not kb.store.delete_document(doc_id):
        fail(f"没有 ID 为 {doc_id} 的文档", code=1)
    out.print(f"已删除 {doc_id}")
    kb.close()
