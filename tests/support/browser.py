"""A real headless Chromium for tests: Debian's ``chromium`` driven through its ``chromedriver`` by selenium.

Nothing is downloaded: the browser and its driver come from the system packages that ``make install`` (through
``.ci/system-packages``) installs. The browser may reach loopback only, so a page that needs the internet shows
it; every request the page made can be read back to prove it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = os.environ.get("HANDOVER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HANDOVER_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
# Flags for a root user on a machine without a display or internet: no sandbox, no GPU, no calls home.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--window-size=1280,1600",
    # Every name resolves to nothing but loopback: an asset from a CDN fails as it would in a closed network.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
)
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def require() -> None:
    """Skip the test without a browser; under ``CI=true`` a missing browser is a failure, not a skip."""
    if available():
        return
    message = f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}): run `make install`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Page:
    """One browser tab: open a URL, wait for what a person would see, read it and every request made."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        self.driver = driver

    def open(self, url: str) -> None:
        """Go to ``url``; what the logs hold from an earlier page is dropped, so each page answers for itself."""
        self.driver.get_log("browser")
        self.driver.get_log("performance")
        self.driver.get(url)

    def wait_for(self, css: str, *, count: int = 1, timeout: float = 30) -> list[str]:
        """The texts of the elements matching ``css`` once at least ``count`` are visible."""

        def enough(driver: webdriver.Chrome) -> bool:
            return len(driver.find_elements(By.CSS_SELECTOR, css)) >= count

        WebDriverWait(self.driver, timeout).until(
            expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css))
        )
        WebDriverWait(self.driver, timeout).until(enough)
        return [element.text for element in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def requests(self) -> list[tuple[str, str | None]]:
        """Every URL the page asked for since the last call, with why the browser blocked it (``csp``, ...) or
        None when it went out (from the browser's performance log, which each call drains)."""
        asked: dict[str, str] = {}
        blocked: dict[str, str] = {}
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            params = message["params"]
            if message["method"] == "Network.requestWillBeSent":
                asked[params["requestId"]] = params["request"]["url"]
            elif message["method"] == "Network.loadingFailed" and params.get("blockedReason"):
                blocked[params["requestId"]] = params["blockedReason"]
        return [(url, blocked.get(request_id)) for request_id, url in asked.items()]

    def outside_requests(self) -> list[str]:
        """The requests that went out to anywhere but this machine (blocked ones did not)."""
        return [
            url
            for url, blocked in self.requests()
            if blocked is None
            and urlsplit(url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(url).hostname not in LOOPBACK
        ]

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]

    def screenshot(self, path: Path) -> Path:
        self.driver.save_screenshot(str(path))
        return path


@contextlib.contextmanager
def browser() -> Iterator[Page]:
    """A fresh headless Chromium with its own empty profile, closed (and its profile removed) afterwards."""
    require()
    profile = tempfile.mkdtemp(prefix="handover-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield Page(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
