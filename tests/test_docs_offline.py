"""``/docs`` and ``/redoc`` render every operation in a real browser that can reach nothing but this machine."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.catalog import SERVICES
from tests.support import browser, processes

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def running_services(tmp_path_factory: pytest.TempPathFactory) -> dict[str, processes.Process]:
    browser.require()
    workdir = tmp_path_factory.mktemp("docs")
    nowhere = f"http://127.0.0.1:{processes.free_port()}"
    # Nothing but the pages is asked of them: no peers, no background work.
    peers = {f"HANDOVER_{peer.upper()}_URL": nowhere for peer in SERVICES}
    started = {name: processes.quiet_service(name, workdir, RISK_RUN_WORKERS="false", **peers) for name in SERVICES}
    yield started
    for process in started.values():
        process.stop()


@pytest.fixture(scope="module")
def page() -> Iterator[browser.Page]:
    with browser.browser() as opened:
        yield opened


def _operation_ids(service: processes.Process) -> set[str]:
    spec = processes.httpx.get(f"{service.url}/openapi.json", timeout=10).json()
    items = [*spec["paths"].values(), *spec.get("webhooks", {}).values()]
    return {operation["operationId"] for item in items for operation in item.values()}


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_swagger_ui_renders_every_operation_without_the_internet(
    running_services: dict[str, processes.Process], page: browser.Page, name: str
) -> None:
    service = running_services[name]
    expected = _operation_ids(service)
    page.open(f"{service.url}/docs")
    shown = page.wait_for(".opblock-summary-operation-id", count=len(expected))
    assert set(shown) == expected
    assert page.outside_requests() == []
    assert page.console_errors() == []


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_redoc_renders_every_operation_without_the_internet(
    running_services: dict[str, processes.Process], page: browser.Page, name: str
) -> None:
    service = running_services[name]
    expected = _operation_ids(service)
    page.open(f"{service.url}/redoc")
    page.wait_for("[data-section-id^='operation/']", count=len(expected))
    sections = page.driver.find_elements(browser.By.CSS_SELECTOR, "[data-section-id^='operation/']")
    assert {s.get_attribute("data-section-id").removeprefix("operation/") for s in sections} >= expected
    # Redoc asks its CDN for a sidebar logo; the page's Content-Security-Policy stops it before it leaves.
    assert page.outside_requests() == []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_may_reach_only_their_service(running_services: dict[str, processes.Process], path: str) -> None:
    answer = processes.httpx.get(running_services["registry"].url + path, timeout=10)
    assert answer.status_code == 200
    assert "cdn" not in answer.text
    assert "default-src 'self'" in answer.headers["content-security-policy"]
