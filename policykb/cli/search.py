"""``policykb search``, ``ask`` and ``eval``: retrieval, answers with their sources, and how good both are."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from index.types import SearchFilters
from policykb.assembly import PolicyKB
from policykb.cli.common import DataDirOption, JsonOption, fail, out, settings_for

FILTER_KEYS = ("region", "issuer", "status", "tag", "date_from", "date_to")


def parse_filters(pairs: list[str]) -> SearchFilters:
    """The filters ``--filter key=value`` options name; :raises ValueError: with a Chinese message for a bad one."""
    values: dict[str, Any] = {}
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
    return SearchFilters(**values)


def search(
    query: Annotated[str, typer.Argument(help="检索问题或关键词")],
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", min=1, max=100, help="返回条数")] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", "-f", help="过滤，key=value：" + "、".join(FILTER_KEYS))] = None,
    mode: Annotated[str, typer.Option(help="hybrid（默认）、bm25 或 dense")] = "hybrid",
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """混合检索（BM25 + 向量），返回最相关的段落。"""
    from index.retrieval import RetrievalMode

    if not query.strip():
        fail("检索内容不能为空")
    try:
        parsed_filters = parse_filters(filters or [])
        retrieval_mode = RetrievalMode.from_str(mode)
    except ValueError as error:
        fail(str(error))
    kb = PolicyKB(settings_for(data_dir))
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


def ask(
    question: Annotated[str, typer.Argument(help="问题，如“创业担保贷款额度是多少？”")],
    conversation_id: Annotated[str | None, typer.Option("--conversation", "-c", help="多轮对话 ID（上一次答复给出的）")] = None,
    filters: Annotated[list[str] | None, typer.Option("--filter", "-f", help="过滤，key=value：" + "、".join(FILTER_KEYS))] = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """智能问答：给出带条文出处的答复；知识库中没有依据时如实说明。"""
    from rich.markup import escape

    from qa.pipeline import QuestionRejected

    try:
        parsed_filters = parse_filters(filters or [])
    except ValueError as error:
        fail(str(error))
    kb = PolicyKB(settings_for(data_dir))
    try:
        answer = kb.answerer.ask(question, conversation_id, parsed_filters)
    except QuestionRejected as error:
        kb.close()
        fail(str(error))
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


def evaluate(
    file: Annotated[Path, typer.Argument(help="JSONL：每行 question 与 doc_path 或 doc_paths（可带 answer）；无法回答的问题写 \"answerable\": false")],
    limit: Annotated[int | None, typer.Option(min=1, help="只评测前 N 个问题")] = None,
    answers: Annotated[bool, typer.Option("--answers/--no-answers", help="同时评测问答（答案准确率、引用准确率、拒答率）")] = True,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """检索评测（混合、仅 BM25、仅向量的 Recall@1/5/10 与 MRR@10），以及问答评测。"""
    from index.evaluation import EvalQuestion, evaluate_retrieval
    from qa.evaluation import QaEvalFileError, evaluate_answers, load_qa_items

    if not file.is_file():
        fail(f"评测文件不存在：{file}")
    try:
        items = load_qa_items(file)[:limit]
    except QaEvalFileError as error:
        fail(str(error))
    questions = [EvalQuestion(item.question, item.gold_paths) for item in items if item.answerable]
    kb = PolicyKB(settings_for(data_dir))
    if kb.store.count_documents() == 0:
        fail("知识库是空的，请先用 `policykb ingest` 入库")
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
