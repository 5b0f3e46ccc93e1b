"""A small real library (laws with articles, Guangzhou Q&A pages and a web-page copy of one, an expired notice), indexed
once for tests/qa."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LIBRARY, MODEL_DIR

QA_DOCUMENTS = (
    "laws/行政法规/保障中小企业款项支付条例(2025-03-17).md",
    "laws/经济法/中小企业促进法(2017-09-01).md",
    "guangzhou/doc_16.txt",  # 创业担保贷款常见问题
    "guangzhou_html/15_创业担保贷款常见问题_2025.html",  # the same FAQ as a web page: answers must cite doc_16.txt
    "guangzhou/doc_17.txt",  # 高校毕业生创业补贴
    "guangzhou/doc_29.txt",  # 特困人员救助供养通知: expired (有效期至 2026-04-12)
    "hohhot/呼和浩特市数字政府建设实施方案.txt",
)


@pytest.fixture(scope="session")
def qa_data_dir(tmp_path_factory) -> Path:
    from policykb.assembly import PolicyKB
    from policykb.settings import load_settings

    data_dir = tmp_path_factory.mktemp("qa") / "data"
    kb = PolicyKB(load_settings(data_dir=data_dir, embedding_model=str(MODEL_DIR)))
    outcomes = kb.ingestion.ingest_paths([LIBRARY / path for path in QA_DOCUMENTS], recursive=False)
    assert all(outcome.ok for outcome in outcomes), [o.reason for o in outcomes if not o.ok]
    kb.close()
    return data_dir


@pytest.fixture(scope="session")
def qa_kb(qa_data_dir):
    from policykb.assembly import PolicyKB
    from policykb.settings import load_settings

    kb = PolicyKB(load_settings(data_dir=qa_data_dir, embedding_model=str(MODEL_DIR)))
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def answerer(qa_kb):
    return qa_kb.answerer


# --- generative answer mode: a real model server (llama.cpp through xllamacpp) on a free loopback port ---------------

LLM_API_KEY = "sk-policykb-test-7f3a9c1e5b"  # what the model server requires; must never show up in logs or replies


@pytest.fixture(scope="session")
def llm_model_path() -> Path:
    """The 0.5B GGUF, assembled from the installed `generative` extra packages (reused when intact)."""
    from provisioning.errors import ModelSourceError
    from provisioning.llm import DEFAULT_MODEL, provision_llm
    from tests.conftest import REPO

    try:
        return provision_llm(DEFAULT_MODEL, REPO / "models").path
    except ModelSourceError as error:
        pytest.fail(f"generative model packages missing: {error} (run `make install`)")


@pytest.fixture(scope="session")
def llm_server(llm_model_path, tmp_path_factory):
    """`policykb llm serve` in a subprocess; yields (base_url, log_path). The key is required by the server."""
    import os
    import subprocess
    import time

    import httpx

    from tests.helpers import POLICYKB, free_port

    port = free_port()
    log_path = tmp_path_factory.mktemp("llm") / "llm_server.log"
    env = {**os.environ, "POLICYKB_LLM_API_KEY": LLM_API_KEY, "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [POLICYKB, "llm", "serve", "--model", str(llm_model_path), "--port", str(port), "--threads", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"model server exited: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(base_url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("model server did not come up in 120 s")
            time.sleep(0.3)
        yield base_url + "/v1", log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
