"""What the browser tests share: Debian's chromium, driven by Playwright, against a real server.

Without chromium or Playwright the browser tests skip (`needs_browser()`), except on CI (`CI` set),
where they must run. The `server` and `browser_page` fixtures are in tests/console/conftest.py.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_KEY = "browser-admin-key"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
WAIT_MS = 15_000


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install playwright)"
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"{CHROMIUM} is missing (apt-get install chromium; scripts/test does it as root)"
    return None


def needs_browser() -> pytest.MarkDecorator:
    """A browser test module's `pytestmark`: skip without chromium or Playwright, fail on CI."""
    reason = _unavailable()
    if reason is not None and os.environ.get("CI"):
        pytest.fail(f"browser tests must run on CI: {reason}", pytrace=False)
    return pytest.mark.skipif(reason is not None, reason=reason or "")


@dataclass
class Server:
    url: str
    admin: httpx.Client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def sign_in_if_asked(page: Any, server: Server) -> None:
    """Sign in when the page went to the sign-in form (a module's first visit)."""
    if "/console/login" in page.url:
        page.fill("#admin_key", ADMIN_KEY)
        page.click("button[type=submit]")
        page.wait_for_selector("main h1")


def journal_link(page: Any, path: str) -> Any:
    """The journal row's link to a call of `path`, by what a user reads: its accessible name, the
    whole path. (`text="…"` finds it no more: a path's pieces, a span each with a `<wbr>` between,
    split the link's text into nodes, and Playwright's text engine matches none of them whole.)"""
    return page.locator("#journal-rows").get_by_role("link", name=path, exact=True)


def path_cell(page: Any, path: str) -> Any:
    """The `td.path` code of `path` on the faults page, its text the whole path (see journal_link)."""
    return page.locator("td.path code").filter(has_text=re.compile(f"^{re.escape(path)}$"))
