"""Webhook delivery: JSON POST signed with HMAC-SHA256.

Headers: ``X-PolicyKB-Delivery`` (stable id, for de-duplication), ``X-PolicyKB-Timestamp`` (Unix seconds) and
``X-PolicyKB-Signature: sha256=<hex>``, the HMAC-SHA256 with the enterprise's secret over
``<timestamp>.<raw body>``. A 2xx answer is success; anything else (or no answer) is retried, except a URL the
:class:`WebhookUrlPolicy` refuses, which is never sent and not worth retrying.

The host is resolved once by the policy and the connection goes to a checked address: the HTTP client gets a
network backend that connects to those addresses, while the Host header, TLS SNI and certificate check keep the
URL's host name.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import typing
from dataclasses import dataclass

import httpcore
import httpx

from push_rules.delivery.message import PushMessage
from push_rules.webhook_policy import WebhookRefused, WebhookTarget, WebhookUrlPolicy

SIGNATURE_HEADER = "X-PolicyKB-Signature"
TIMESTAMP_HEADER = "X-PolicyKB-Timestamp"
DELIVERY_HEADER = "X-PolicyKB-Delivery"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    status_code: int | None = None
    error: str | None = None
    permanent: bool = False  # retrying cannot help (the URL is refused): dead-letter at once


class PinnedBackend(httpcore.SyncBackend):
    """Connects to the addresses the policy checked for ``target.host``, never resolving the name again."""

    def __init__(self, target: WebhookTarget) -> None:
        self.target = target

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if host.lower().strip("[]") != self.target.host.strip("[]") or port != self.target.port:
            raise httpcore.ConnectError(f"连接目标 {host}:{port} 不是已检查的 Webhook 主机")
        failure: httpcore.ConnectError | None = None
        for address in self.target.addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
        raise failure or httpcore.ConnectError("没有可连接的地址")


class WebhookSender:
    def __init__(self, policy: WebhookUrlPolicy, timeout: float) -> None:
        self.policy = policy
        self.timeout = timeout
        self.ssl_context = httpx.create_ssl_context()

    def send(self, url: str, secret: str, message: PushMessage) -> DeliveryResult:
        try:
            target = self.policy.resolve(url)
        except WebhookRefused as refused:
            return DeliveryResult(False, None, refused.reason, permanent=True)
        body = json.dumps(message.as_json(), ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        headers: dict[bytes | str, bytes | str] = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: message.delivery_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        request_url = httpcore.URL(scheme=target.url.raw_scheme, host=target.url.raw_host, port=target.url.port, target=target.url.raw_path)
        timeouts = {"connect": self.timeout, "read": self.timeout, "write": self.timeout, "pool": self.timeout}
        try:
            with httpcore.ConnectionPool(ssl_context=self.ssl_context, network_backend=PinnedBackend(target), max_connections=1) as pool:
                response = pool.request("POST", request_url, headers=headers, content=body, extensions={"timeout": timeouts})
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as error:
            return DeliveryResult(False, None, f"Webhook 请求失败：{type(error).__name__}: {error}")
        if 200 <= response.status < 300:
            return DeliveryResult(True, response.status)
        return DeliveryResult(False, response.status, f"Webhook 返回 HTTP {response.status}")

    def close(self) -> None:
        """Nothing to release: each send opens and closes its own connection to the checked address."""
