"""Webhook delivery: JSON POST signed with HMAC-SHA256.

Headers: ``X-PolicyKB-Delivery`` (stable id, for de-duplication), ``X-PolicyKB-Timestamp`` (Unix seconds) and
``X-PolicyKB-Signature: sha256=<hex>``, the HMAC-SHA256 with the enterprise's secret over
``<timestamp>.<raw body>``. A 2xx answer is success; anything else (or no answer) is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

import httpx

from push_rules.delivery.message import PushMessage
from push_rules.webhook_policy import WebhookUrlPolicy

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


class WebhookSender:
    def __init__(self, policy: WebhookUrlPolicy, timeout: float) -> None:
        self.policy = policy
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, url: str, secret: str, message: PushMessage) -> DeliveryResult:
        problem = self.policy.check(url, resolve=True)
        if problem:
            return DeliveryResult(False, None, problem)
        body = json.dumps(message.as_json(), ensure_ascii=False).encode("utf-8")
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: message.delivery_id,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        try:
            response = self.client.post(url, content=body, headers=headers)
        except httpx.HTTPError as error:
            return DeliveryResult(False, None, f"Webhook 请求失败：{type(error).__name__}: {error}")
        if 200 <= response.status_code < 300:
            return DeliveryResult(True, response.status_code)
        return DeliveryResult(False, response.status_code, f"Webhook 返回 HTTP {response.status_code}")

    def close(self) -> None:
        self.client.close()
