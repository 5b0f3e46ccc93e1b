"""Delivery: signed webhooks with retries and dead-letter, e-mail over a real SMTP server, the worker, and
crash safety (worker killed with SIGKILL mid-run, publisher killed mid-transaction)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter as Tally
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from push_rules.delivery.webhook import SIGNATURE_HEADER
from push_rules.models import DeliveryAttempt, InboxMessage, OutboxEntry, PushRecord
from push_rules.service import PushService
from push_rules.worker import run_worker
from tests.push.conftest import (
    WEBHOOK_SECRET,
    DocumentLibrary,
    SmtpServer,
    WebhookReceiver,
    corpus_document,
    enterprise_payload,
)
from tests.push.test_service import SME_RULE, TIELING_SME

REPO = Path(__file__).resolve().parents[2]


def _policy(library: DocumentLibrary) -> str:
    library.add(corpus_document(TIELING_SME, "sme-2020", title="支持中小企业发展政策措施", region="内蒙古自治区呼和浩特市"))
    return "sme-2020"


def _due_now(service: PushService) -> None:
    with service.sessions.begin() as session:
        session.execute(update(OutboxEntry).values(next_attempt_at=OutboxEntry.created_at))


def test_webhook_is_signed_and_retried_then_delivered(service: PushService, library: DocumentLibrary, webhook_receiver: WebhookReceiver) -> None:
    company = service.create_enterprise(enterprise_payload(webhook_url=webhook_receiver.url, webhook_secret=WEBHOOK_SECRET))
    service.save_rules(_policy(library), SME_RULE)
    service.publish("sme-2020")
    webhook_receiver.fail_next = 2
    assert service.deliver_due().failed == 1
    _due_now(service)
    assert service.deliver_due().failed == 1
    _due_now(service)
    assert service.deliver_due().delivered == 1
    assert service.deliver_due().delivered == 0  # nothing left
    [delivery] = webhook_receiver.deliveries
    assert delivery["headers"][SIGNATURE_HEADER].startswith("sha256=")
    assert webhook_receiver.bad_signatures == 0
    payload = delivery["json"]
    assert payload["enterprise"]["id"] == company["id"] and payload["policy"]["doc_id"] == "sme-2020"
    assert "注册地位于内蒙古自治区呼和浩特市：满足" in payload["body"]
    with service.sessions() as session:
        log = session.execute(select(DeliveryAttempt.attempt, DeliveryAttempt.ok, DeliveryAttempt.status_code).order_by(DeliveryAttempt.id)).all()
    assert [tuple(r) for r in log] == [(1, False, 500), (2, False, 500), (3, True, 200)]


def test_backoff_grows_exponentially_and_dead_letters(make_service: Any, library: DocumentLibrary, webhook_receiver: WebhookReceiver) -> None:
    service = make_service(webhook_max_attempts=3, webhook_backoff_base_seconds=10)
    service.create_enterprise(enterprise_payload(webhook_url=webhook_receiver.url, webhook_secret="wrong-secret-0123456789"))
    service.save_rules(_policy(library), SME_RULE)
    service.publish("sme-2020")
    delays = []
    for _ in range(3):
        service.deliver_due()
        with service.sessions() as session:
            entry = session.scalars(select(OutboxEntry)).one()
            delays.append(round((entry.next_attempt_at - entry.created_at).total_seconds()))
        _due_now(service)
    assert delays[0] >= 10 and delays[1] >= 20  # 10 s, then 20 s after the second failure
    assert entry.status == "dead" and entry.attempts == 3
    assert "HTTP 401" in (entry.last_error or "")
    assert service.outbox_summary() == {"dead": 1}


def test_email_is_sent_over_smtp(make_service: Any, library: DocumentLibrary, smtp_server: SmtpServer) -> None:
    service = make_service(smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_sender="push@policykb.test")
    service.create_enterprise(enterprise_payload(name="青城软件", email="boss@qingcheng.test"))
    service.save_rules(_policy(library), SME_RULE)
    service.publish("sme-2020")
    assert service.deliver_due().delivered == 1
    deadline = time.time() + 5
    while not smtp_server.messages and time.time() < deadline:
        time.sleep(0.05)
    [mail] = smtp_server.messages
    assert mail["To"] == "boss@qingcheng.test"
    assert mail["Subject"] == "政策推送：《支持中小企业发展政策措施》"
    assert mail["Message-ID"].startswith("<push-")
    assert "贵企业符合该政策的申报条件" in mail.get_content()


def test_worker_thread_delivers_and_stops(make_service: Any, library: DocumentLibrary, webhook_receiver: WebhookReceiver) -> None:
    service = make_service(worker_poll_seconds=0.05)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(service, stop), daemon=True)
    thread.start()
    service.create_enterprise(enterprise_payload(webhook_url=webhook_receiver.url, webhook_secret=WEBHOOK_SECRET))
    service.save_rules(_policy(library), SME_RULE)
    service.publish("sme-2020")
    deadline = time.time() + 10
    while not webhook_receiver.deliveries and time.time() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert not thread.is_alive() and len(webhook_receiver.deliveries) == 1


def _config(tmp_path: Path, service: PushService) -> Path:
    config = {
        "settings": {"data_dir": str(tmp_path), "database_url": service.settings.database_url, "webhook_allowlist": ["127.0.0.1"], "worker_poll_seconds": 0.05, "worker_lease_seconds": 1.0, "worker_batch_size": 5},
        "documents": [{"doc_id": "sme-2020", "path": TIELING_SME, "title": "支持中小企业发展政策措施", "region": "内蒙古自治区呼和浩特市"}],
        "policy": "sme-2020",
    }
    path = tmp_path / "proc.json"
    path.write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return path


def _spawn(mode: str, config: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-m", "tests.push.proc_main", mode, str(config)], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_killed_mid_run_loses_nothing_and_sends_each_push_once(service: PushService, library: DocumentLibrary, webhook_receiver: WebhookReceiver, tmp_path: Path) -> None:
    companies = 24
    for i in range(companies):
        service.create_enterprise(enterprise_payload(name=f"企业{i}", webhook_url=webhook_receiver.url, webhook_secret=WEBHOOK_SECRET))
    service.save_rules(_policy(library), SME_RULE)
    assert service.publish("sme-2020").pushes_created == companies
    config = _config(tmp_path, service)
    webhook_receiver.delay = 0.08

    worker = _spawn("worker", config)
    deadline = time.time() + 60
    while len(webhook_receiver.deliveries) < 5 and time.time() < deadline:
        time.sleep(0.02)
    worker.send_signal(signal.SIGKILL)  # crash: no cleanup, leases left behind
    worker.wait(10)
    delivered_before = len(webhook_receiver.deliveries)
    assert 0 < delivered_before < companies

    restarted = _spawn("worker", config)
    deadline = time.time() + 60
    while time.time() < deadline and service.outbox_summary() != {"done": companies}:
        time.sleep(0.1)
    restarted.terminate()
    restarted.wait(10)

    assert service.outbox_summary() == {"done": companies}
    ids = webhook_receiver.delivery_ids()
    tally = Tally(ids)
    assert len(tally) == companies  # nothing lost
    # at most the one request in flight at the kill is repeated, under the same delivery id (receivers de-duplicate)
    assert sum(n - 1 for n in tally.values()) <= 5
    with service.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PushRecord)) == companies
        assert session.scalar(select(func.count()).select_from(InboxMessage)) == companies


def test_publisher_killed_mid_transaction_then_rerun_pushes_exactly_once(service: PushService, library: DocumentLibrary, webhook_receiver: WebhookReceiver, tmp_path: Path) -> None:
    companies = 150
    for i in range(companies):
        service.create_enterprise(enterprise_payload(name=f"企业{i}", webhook_url=webhook_receiver.url, webhook_secret=WEBHOOK_SECRET))
    service.save_rules(_policy(library), SME_RULE)
    config = _config(tmp_path, service)
    publisher = _spawn("publish", config)
    time.sleep(2.5)  # somewhere in start-up, matching or the push transaction
    publisher.send_signal(signal.SIGKILL)
    publisher.wait(10)
    with service.sessions() as session:
        partial = session.scalar(select(func.count()).select_from(PushRecord))
    assert partial in (0, companies)  # all or nothing
    rerun = _spawn("publish", config)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert json.loads(out.strip().splitlines()[-1])["pushes_created"] == companies - partial
    with service.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PushRecord)) == companies
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == companies
    while service.deliver_due(limit=100).delivered:
        pass
    assert sorted(Tally(webhook_receiver.delivery_ids()).values()) == [1] * companies
