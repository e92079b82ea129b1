"""Driving the administration pages in a real browser: Debian's Chromium through Playwright,
against the built zipapp on loopback (fixtures `admin_server`, `browser`, `page`; registered by
tests/conftest.py). Each page fails its test on any console error the test did not provoke
(`page.console_errors`), and `screenshot` writes what was checked to dist/screenshots/ (the
README shows one).

Without Chromium or Playwright the browser tests are skipped with how to install them
(.ci/run installs both).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.zipapp import free_port, server_env, wait_for_health

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "dist" / "screenshots"
CHROMIUM = os.environ.get("TOMATOPLAN_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
INSTALL = "sudo apt-get install -y chromium && pip install playwright"
# As root, without a display, on a closed network (see the machine notes): no sandbox, no GPU,
# none of Chromium's own background connections.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def playwright_api():
    """playwright.sync_api, or skip the test saying how to install it."""
    return pytest.importorskip("playwright.sync_api", reason=f"Playwright absent : {INSTALL}")


@pytest.fixture(scope="module")
def admin_server(pyz, tmp_path_factory):
    """The zipapp serving on loopback from its own folder: (base URL, port, folder)."""
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    process = subprocess.Popen([sys.executable, "-I", str(pyz)], cwd=folder, env=server_env(port),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        wait_for_health(process, port)
        yield f"http://127.0.0.1:{port}", port, folder
    finally:
        process.terminate()
        process.wait(timeout=30)


# Per module: Playwright's sync API keeps an event loop running while it is open, which the
# async tests of the other modules could not share.
@pytest.fixture(scope="module")
def browser():
    sync_api = playwright_api()
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium absent ({CHROMIUM}) : {INSTALL}")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 800},
                                  accept_downloads=True)
    opened = context.new_page()
    opened.console_errors = []
    opened.on("console", lambda message: message.type == "error"
              and opened.console_errors.append(message.text))
    opened.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, base: str, username: str, path: str = "/admin") -> None:
    page.goto(base + path)
    page.locator("#connexion").get_by_label("Identifiant Windows").fill(username)
    page.get_by_role("button", name="Se connecter").click()
