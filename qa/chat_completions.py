"""A minimal client of the OpenAI chat-completions API, the way DeepSeek, Qwen (DashScope), vLLM, Ollama and
llama.cpp servers are reached: ``POST {base_url}/chat/completions`` with a bearer key.

Every failure (connection refused, HTTP error status, malformed reply, timeout) becomes :class:`ModelUnavailable`,
whose message never contains the key. ``timeout_s`` bounds the whole answer: connecting, waiting for the first
byte and, when streaming, the time until the last token (checked as each piece arrives).

>>> client = ChatCompletionsClient("http://127.0.0.1:8080/v1", "qwen2.5-coder-0.5b-instruct", api_key=None, timeout_s=30)
>>> client.complete([{"role": "user", "content": "你好"}], max_tokens=16)
'你好！有什么可以帮您？'
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pydantic import SecretStr

Message = dict[str, str]


class ModelUnavailable(RuntimeError):
    """The model endpoint could not give an answer (down, slow, refusing, or answering nonsense)."""


class ChatCompletionsClient:
    """Sends chat messages to one OpenAI-compatible endpoint.

    :param base_url: the API root including its version, e.g. ``https://api.deepseek.com/v1`` or
        ``http://127.0.0.1:8080/v1``; ``/chat/completions`` is appended.
    :param model: the model name the endpoint expects.
    :param api_key: sent as ``Authorization: Bearer …`` when set; never logged or put in an error message.
    :param timeout_s: seconds the whole answer may take.
    :param temperature: sampling temperature (0: the most likely tokens, reproducible answers).
    """

    def __init__(
        self, base_url: str, model: str, *, api_key: SecretStr | None = None, timeout_s: float = 60.0, temperature: float = 0.0
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be greater than 0, got {timeout_s}")
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.timeout_s = timeout_s
        self.temperature = temperature
        headers = {"Accept": "application/json"}
        if api_key is not None and api_key.get_secret_value():
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout_s))

    def _payload(self, messages: list[Message], max_tokens: int, stream: bool) -> dict[str, Any]:
        return {"model": self.model, "messages": messages, "max_tokens": max_tokens, "temperature": self.temperature, "stream": stream}

    def complete(self, messages: list[Message], *, max_tokens: int) -> str:
        """The model's whole reply.

        :raises ModelUnavailable: on any failure or when the reply has no text.
        """
        with self._failures_as_unavailable("chat-completions"):
            response = self._http.post(self.url, json=self._payload(messages, max_tokens, stream=False))
            _raise_for_status(response)
            content = response.json()["choices"][0]["message"]["content"]
        if not isinstance(content, str) or not content.strip():
            raise ModelUnavailable("模型返回了空答复")
        return content

    def stream(self, messages: list[Message], *, max_tokens: int) -> Iterator[str]:
        """The model's reply in pieces as they arrive (server-sent events).

        :raises ModelUnavailable: on any failure, also midway (after some pieces were yielded).
        """
        deadline = time.monotonic() + self.timeout_s
        received = False
        with self._failures_as_unavailable("chat-completions 流式"), self._http.stream(
            "POST", self.url, json=self._payload(messages, max_tokens, stream=True)
        ) as response:
            _raise_for_status(response)
            for line in response.iter_lines():
                if time.monotonic() > deadline:
                    raise ModelUnavailable(f"模型在 {self.timeout_s:g} 秒内没有答完")
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                piece = _delta_text(json.loads(data))
                if piece:
                    received = True
                    yield piece
        if not received:
            raise ModelUnavailable("模型返回了空答复")

    @contextmanager
    def _failures_as_unavailable(self, reply_format: str) -> Iterator[None]:
        """Turns transport failures and malformed replies into :class:`ModelUnavailable` (never naming the key)."""
        try:
            yield
        except httpx.TimeoutException:
            raise ModelUnavailable(f"模型在 {self.timeout_s:g} 秒内没有答复") from None
        except httpx.HTTPError as error:
            raise ModelUnavailable(f"无法连接模型服务：{type(error).__name__}") from None
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelUnavailable(f"模型服务的答复格式不对（不是 {reply_format} 格式）") from None

    def close(self) -> None:
        self._http.close()


def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise ModelUnavailable(f"模型服务拒绝了访问（HTTP {response.status_code}），请检查 POLICYKB_LLM_API_KEY")
    if response.status_code >= 400:
        raise ModelUnavailable(f"模型服务返回 HTTP {response.status_code}")


def _delta_text(event: dict[str, Any]) -> str:
    choices = event.get("choices") or []
    if not choices:
        return ""  # e.g. a final usage-only event
    content = (choices[0].get("delta") or {}).get("content")
    return content if isinstance(content, str) else ""
