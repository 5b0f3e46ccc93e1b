"""Webhook URLs cannot reach internal addresses (issue 23, item 4).

Save time: the real server (no allow-list) refuses carrier-grade NAT, loopback written as ``127.1`` /
``0x7f000001`` / ``2130706433``, metadata addresses and names that do not resolve. Send time: a real push
service and a real HTTP receiver; DNS is the one thing faked (a resolver that answers differently the second
time, as a rebinding attacker's would), to show the sender connects to the address it checked.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from push_rules.models import DeliveryAttempt, OutboxEntry
from push_rules.outbox import OutboxStatus
from push_rules.service import PushService
from push_rules.settings import PushSettings
from push_rules.webhook_policy import WebhookUrlPolicy
from tests.push.conftest import (  # noqa: F401 (fixture)
    WEBHOOK_SECRET,
    DocumentLibrary,
    WebhookReceiver,
    corpus_document,
    enterprise_payload,
    shared_tokenize,
    webhook_receiver,
)
from tests.push.test_service import SME_RULE, TIELING_SME

REFUSED_ON_SAVE = [
    ("http://100.100.100.200/latest/meta-data/", "内网或保留地址"),  # Alibaba Cloud metadata, 100.64.0.0/10
    ("http://100.64.0.1/hook", "内网或保留地址"),
    ("http://169.254.169.254/latest/meta-data/", "内网或保留地址"),
    ("http://127.1:9/hook", "不是标准写法的 IP 地址"),
    ("http://0x7f000001/hook", "不是标准写法的 IP 地址"),
    ("http://2130706433/hook", "不是标准写法的 IP 地址"),
    ("http://[::ffff:127.0.0.1]/hook", "内网或保留地址"),
    ("http://[64:ff9b::7f00:1]/hook", "内网或保留地址"),
    ("http://localhost:9/hook", "内网或保留地址"),
    ("http://no-such-host.invalid/hook", "无法解析"),
]


@pytest.mark.parametrize(("url", "reason"), REFUSED_ON_SAVE)
def test_internal_webhook_urls_are_refused_when_saved(secure, url: str, reason: str) -> None:
    payload = enterprise_payload(name="呼和浩特市探测公司", webhook_url=url)
    response = httpx.post(f"{secure.url}/api/enterprises", json=payload, headers=secure.headers("staff"))
    assert response.status_code == 422, response.text
    assert reason in response.json()["detail"]
    listed = httpx.get(f"{secure.url}/api/enterprises", params={"limit": 500}, headers=secure.headers("staff")).json()
    assert all(e["credit_code"] != payload["credit_code"] for e in listed)


def test_allowlisted_cidr_is_the_only_way_to_an_internal_address() -> None:
    assert WebhookUrlPolicy(["100.100.100.200"]).check("http://100.100.100.200/hook") is None
    assert "不在允许列表中" in (WebhookUrlPolicy(["127.0.0.1"]).check("http://100.100.100.200/hook") or "")
    # a host name on the list does not make its internal address acceptable
    assert "内网或保留地址" in (WebhookUrlPolicy(["localhost"]).check("http://localhost:9/hook") or "")


def _service(tmp_path: Path, library: DocumentLibrary, allowlist: list[str]) -> PushService:
    settings = PushSettings(data_dir=tmp_path, webhook_allowlist=allowlist, webhook_timeout_seconds=2.0)
    return PushService(settings, library, tokenize=shared_tokenize)


def _publish_to(service: PushService, library: DocumentLibrary, url: str) -> None:
    service.create_enterprise(enterprise_payload(webhook_url=url, webhook_secret=WEBHOOK_SECRET))
    library.add(corpus_document(TIELING_SME, "sme-2020", title="支持中小企业发展政策措施", region="内蒙古自治区呼和浩特市"))
    service.save_rules("sme-2020", SME_RULE)
    service.publish("sme-2020")


def test_send_connects_to_the_checked_address_without_a_second_lookup(
    tmp_path: Path, webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    port = int(webhook_receiver.url.rsplit(":", 1)[1].split("/")[0])
    url = f"http://hooks.test:{port}/hook"
    library = DocumentLibrary()
    service = _service(tmp_path, library, ["127.0.0.1"])  # allowed by its address, as resolved
    real_getaddrinfo = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding_resolver(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "hooks.test":
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        # The first answer is the receiver; any later one points somewhere the policy would never allow.
        answer = "127.0.0.1" if len(lookups) % 2 else "10.255.255.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answer, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
    try:
        _publish_to(service, library, url)
        lookups.clear()
        stats = service.deliver_due()
    finally:
        service.close()
    assert stats.delivered == 1, stats.errors
    assert lookups == ["hooks.test"]
    [delivery] = webhook_receiver.deliveries
    assert delivery["headers"]["Host"] == f"hooks.test:{port}"


def test_a_refused_url_is_dead_lettered_at_once(tmp_path: Path, webhook_receiver: WebhookReceiver) -> None:  # noqa: F811
    library = DocumentLibrary()
    before = _service(tmp_path, library, ["127.0.0.1"])
    _publish_to(before, library, webhook_receiver.url)
    before.close()
    # The administrator empties the allow-list: loopback is no longer allowed, and retrying cannot change that.
    after = _service(tmp_path, library, [])
    try:
        stats = after.deliver_due()
        with after.sessions() as session:
            status, attempts = session.execute(select(OutboxEntry.status, OutboxEntry.attempts)).one()
            [error] = session.scalars(select(DeliveryAttempt.error)).all()
    finally:
        after.close()
    assert (stats.failed, stats.dead) == (1, 1)
    assert (status, attempts) == (OutboxStatus.DEAD, 1)
    assert "内网或保留地址" in error
    assert webhook_receiver.deliveries == []
