"""The push delivery worker: delivers due outbox entries (webhooks, e-mail) until told to stop.

``policykb worker`` runs :func:`run_worker` in the foreground; the web app runs a :class:`DeliveryWorker` beside its
requests, started by the assembly (:meth:`policykb.assembly.PolicyKB.start_push_delivery`).
"""

from __future__ import annotations

import logging
import threading

from push_rules.service import PushService

log = logging.getLogger(__name__)


def run_worker(service: PushService, stop_event: threading.Event) -> None:
    """Deliver due outbox entries until ``stop_event`` is set; sleeps ``worker_poll_seconds`` when idle."""
    poll = service.settings.worker_poll_seconds
    log.info("push delivery worker started")
    while not stop_event.is_set():
        try:
            stats = service.deliver_due()
        except Exception:  # the worker must outlive one bad pass (database briefly locked, etc.)
            log.exception("push delivery pass failed")
            stop_event.wait(poll)
            continue
        if stats.delivered + stats.failed == 0:
            stop_event.wait(poll)
    log.info("push delivery worker stopped")


class DeliveryWorker:
    """:func:`run_worker` in a daemon thread: :meth:`start` it once, :meth:`stop` it at shutdown."""

    def __init__(self, service: PushService) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=run_worker, args=(service, self._stop), name="push-delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30) -> None:
        """Ask the loop to stop and wait up to ``timeout_s`` for the pass in progress to finish."""
        self._stop.set()
        self._thread.join(timeout=timeout_s)
