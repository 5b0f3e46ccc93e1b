"""Generative mode without a model: an endpoint that is down, silent or refusing gives the extractive answer, in time.

These need no model server (nothing listens, or a socket that never answers), so they run in the default suite.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from qa.generative import MODEL_UNAVAILABLE
from tests.conftest import MODEL_DIR
from tests.helpers import free_port

PAYMENT_QUESTION = "大型企业从中小企业采购货物，应当在多少日内支付款项？"


def _kb(data_dir: Path, **settings: object):  # type: ignore[no-untyped-def]
    from policykb.assembly import PolicyKB
    from policykb.settings import load_settings

    return PolicyKB(load_settings(data_dir=data_dir, embedding_model=str(MODEL_DIR), answer_mode="generative", **settings))


def test_endpoint_down_falls_back_quickly(qa_data_dir, answerer) -> None:
    kb = _kb(qa_data_dir, llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout_s=5)
    try:
        kb.answerer.warm_up()  # load the query embedder outside the measured time
        started = time.monotonic()
        answer = kb.answerer.ask(PAYMENT_QUESTION, record=False)
        elapsed = time.monotonic() - started
    finally:
        kb.close()
    extractive = answerer.ask(PAYMENT_QUESTION, record=False)
    assert answer.notice == MODEL_UNAVAILABLE and answer.answer == f"（{MODEL_UNAVAILABLE}）{extractive.answer}"
    assert answer.citations == extractive.citations and elapsed < 5


def test_endpoint_that_never_answers_times_out_into_the_extractive_answer(qa_data_dir, answerer) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept_and_stay_silent() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(connection)

    threading.Thread(target=accept_and_stay_silent, daemon=True).start()
    kb = _kb(qa_data_dir, llm_base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1", llm_timeout_s=2)
    try:
        kb.answerer.warm_up()  # load the query embedder outside the measured time (the generator is not called)
        started = time.monotonic()
        answer = kb.answerer.ask(PAYMENT_QUESTION, record=False)
        elapsed = time.monotonic() - started
    finally:
        kb.close()
        listener.close()
        for connection in accepted:
            connection.close()
    assert accepted, "the client should have connected"
    assert answer.notice == MODEL_UNAVAILABLE and "60日" in answer.answer
    assert 2 <= elapsed < 6, elapsed


def test_stream_with_the_endpoint_down_sends_the_extractive_answer(qa_data_dir) -> None:
    kb = _kb(qa_data_dir, llm_base_url=f"http://127.0.0.1:{free_port()}/v1", llm_timeout_s=5)
    try:
        events = list(kb.answerer.ask_stream(PAYMENT_QUESTION))
    finally:
        kb.close()
    kinds = [kind for kind, _ in events]
    assert kinds[-2:] == ["citations", "done"] and set(kinds[:-2]) == {"answer"} and len(kinds) > 3
    done = events[-1][1]
    streamed = "".join(data for kind, data in events if kind == "answer")
    assert streamed == done["answer"] and streamed.startswith(f"（{MODEL_UNAVAILABLE}）") and "60日" in streamed
    assert done["mode"] == "generative" and done["notice"] == MODEL_UNAVAILABLE
