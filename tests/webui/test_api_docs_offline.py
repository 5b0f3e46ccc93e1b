"""/docs renders with the network cut: Swagger UI comes from the app, not from a CDN (air-gapped intranets)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.conftest import MODEL_DIR
from tests.helpers import RunningServer, cli_env
from tests.webui.test_browser import CHROMIUM_ARGS, _chromium

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[RunningServer]:
    running = RunningServer(cli_env(tmp_path_factory.mktemp("docs") / "data", MODEL_DIR))
    yield running
    running.stop()


def test_the_api_docs_render_with_every_non_loopback_request_blocked(server) -> None:
    blocked: list[str] = []

    def only_loopback(route) -> None:
        if urlsplit(route.request.url).hostname in LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(locale="zh-CN")
            page.route("**/*", only_loopback)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server.url + "/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("PolicyKB 政策通", timeout=30_000)
            # The operations are listed, read from the app's own /openapi.json.
            expect(page.locator(".opblock-summary-path", has_text="/api/ask").first).to_be_visible()
            assert not errors, errors
            assert not blocked, f"/docs asked for outside resources: {blocked}"
        finally:
            browser.close()
