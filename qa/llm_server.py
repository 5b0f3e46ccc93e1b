"""A local OpenAI-compatible model server for the generative answer mode: llama.cpp's own HTTP server, through
``xllamacpp`` (prebuilt CPU wheel, in the ``generative`` extra).

It serves ``POST /v1/chat/completions`` (streaming too), ``GET /v1/models`` and ``GET /health`` on one address, the
same API DeepSeek, Qwen, vLLM and Ollama deployments speak, so PolicyKB reaches it through the same settings
(``POLICYKB_LLM_BASE_URL=http://127.0.0.1:8080/v1``). The model is a local ``.gguf`` file; nothing is downloaded.

>>> server = LocalModelServer(ModelServerConfig(Path("models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"), port=8080))
>>> server.start().base_url
'http://127.0.0.1:8080/v1'
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr


class ModelServerError(RuntimeError):
    """The model server cannot start; the message says what to do."""


@dataclass(frozen=True)
class ModelServerConfig:
    """How to serve one model.

    :param model_path: the ``.gguf`` file.
    :param host: address to listen on (loopback by default: put a TLS proxy in front to serve others).
    :param port: port to listen on.
    :param alias: the model name the server reports (``POLICYKB_LLM_MODEL`` should match it).
    :param api_key: required as a bearer token when set.
    :param threads: CPU threads for generation. 1 is robust: on a busy 2-core machine, 2 threads made token
        generation fall from about 11 to 0.4 tokens/s (llama.cpp's threads wait on each other); use more on a
        machine the model has to itself.
    :param context: context window in tokens, shared by the parallel slots.
    :param parallel: requests answered at the same time.
    """

    model_path: Path
    host: str = "127.0.0.1"
    port: int = 8080
    alias: str = "qwen2.5-coder-0.5b-instruct"
    api_key: SecretStr | None = None
    threads: int = 1
    context: int = 4096
    parallel: int = 1


class LocalModelServer:
    """llama.cpp's server in this process (it answers from background threads until :meth:`stop`)."""

    def __init__(self, config: ModelServerConfig) -> None:
        self.config = config
        self._server: Any = None

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.config.port}/v1"

    def start(self) -> LocalModelServer:
        """Load the model and start listening (returns once the server answers).

        :raises ModelServerError: if xllamacpp is not installed, the model file is missing, or loading fails.
        """
        config = self.config
        try:
            import xllamacpp
        except ImportError:
            raise ModelServerError('xllamacpp is not installed: pip install -e ".[generative]"') from None
        if not config.model_path.is_file():
            raise ModelServerError(f"模型文件不存在：{config.model_path}（先运行 `policykb llm provision`）")
        params = xllamacpp.CommonParams()
        params.model.path = str(config.model_path)
        params.model_alias = config.alias
        params.hostnames = [config.host]
        params.port = config.port
        params.n_ctx = config.context
        params.n_parallel = config.parallel
        threads = config.threads or os.cpu_count() or 1
        params.cpuparams.n_threads = threads  # token generation
        params.cpuparams_batch.n_threads = threads  # prompt processing
        params.offline = True  # never fetch a model
        params.ui = False
        if config.api_key is not None and config.api_key.get_secret_value():
            params.api_keys = [config.api_key.get_secret_value()]
        try:
            self._server = xllamacpp.Server(params)
        except Exception as error:  # the binding raises plain RuntimeError/ValueError subclasses
            raise ModelServerError(f"模型服务启动失败：{error}") from None
        return self

    def stop(self) -> None:
        self._server = None  # the binding stops its threads and frees the model when the object goes


def serve_forever(config: ModelServerConfig, *, on_ready: Callable[[LocalModelServer], None] | None = None) -> None:
    """Start the server and keep it until SIGINT/SIGTERM (KeyboardInterrupt / SystemExit)."""
    server = LocalModelServer(config).start()
    if on_ready is not None:
        on_ready(server)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()
