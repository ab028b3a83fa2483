"""Playwright on Debian's Chromium (never a downloaded browser) against the live server."""

import os
from pathlib import Path

import pytest

from tests.demo_data import demo  # noqa: F401 - the demo data fixture

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `make install` (installs Debian's chromium package)"
        )
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 900}}


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def block_external(page):
    """Fail the test if the page tries to load anything that is not served by the project."""
    external: list[str] = []

    def check(route):
        url = route.request.url
        # The project's own server, inline data, and the browser's built-in PDF viewer.
        if url.startswith(
            (
                "http://localhost",
                "http://127.0.0.1",
                "data:",
                "blob:",
                "chrome://",
                "chrome-extension://",
            )
        ):
            return route.continue_()
        external.append(url)
        return route.abort()

    page.route("**/*", check)
    yield external
    assert external == [], f"pages loaded external resources: {external}"
