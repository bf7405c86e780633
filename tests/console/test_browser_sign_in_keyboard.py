"""The sign-in page, keyboard only: its first Tab reaches the **Skip to content** link, as on every
console page. Its key field had `autofocus`, so the first Tab went from the field to "Sign in" and
the skip link was the third stop, unlike the README's promise (cliq QA of 2026-12-07, L7). A wrong
key still comes back with the focus in the field, as every refused console form does.
"""

from __future__ import annotations

from typing import Any

from tests.console.browser import ADMIN_KEY, Server, needs_browser

pytestmark = needs_browser()

_FOCUSED_TEXT = "() => (document.activeElement.textContent || '').trim()"
_FOCUSED_ID = "() => document.activeElement.id"


def test_the_first_tab_on_the_sign_in_page_reaches_the_skip_link(server: Server, browser_page: Any) -> None:
    page = browser_page
    page.context.clear_cookies()
    page.goto(f"{server.url}/console/login")
    page.wait_for_selector("#admin_key")
    page.keyboard.press("Tab")
    assert page.evaluate(_FOCUSED_TEXT) == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate(_FOCUSED_ID) == "content"
    page.keyboard.press("Tab")  # the content's first stop is the key field
    assert page.evaluate(_FOCUSED_ID) == "admin_key"


def test_a_wrong_key_comes_back_with_the_focus_in_the_key_field(server: Server, browser_page: Any) -> None:
    page = browser_page
    page.context.clear_cookies()
    page.goto(f"{server.url}/console/login")
    page.focus("#admin_key")
    page.keyboard.type("not the key")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("p.error[role=alert]").inner_text().startswith("That is not")
    assert page.evaluate(_FOCUSED_ID) == "admin_key"
    page.keyboard.type(ADMIN_KEY)  # typed where the focus stands, without a mouse
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("h1:has-text('Overview')")
