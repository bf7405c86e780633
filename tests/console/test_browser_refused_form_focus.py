"""A form or filter the console refuses comes back with the keyboard's focus in the field to
correct: the one its error names, else the form's first. The page came back with the focus on its
top, so a keyboard user tabbed through the skip link, the navigation (and on the faults page every
fault's Delete button) to reach the field again (cliq QA of 2026-12-07, keyboard only in chromium).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.console.browser import Server, needs_browser, sign_in_if_asked

pytestmark = needs_browser()

_FOCUSED = "() => document.activeElement.getAttribute('name')"


def _submit_typed(page: Any, field: str, value: str) -> None:
    page.focus(f"input[name={field}]")
    page.keyboard.type(value)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_refused_clock_value_keeps_the_focus_in_its_field(server: Server, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{server.url}/console/clock")
    sign_in_if_asked(page, server)
    _submit_typed(page, "seconds", "-5")
    assert page.is_visible("p.error[role=alert]")
    assert page.evaluate(_FOCUSED) == "seconds"
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # corrected where it stands, without a mouse
    assert not page.is_visible("p.error[role=alert]")


@pytest.mark.parametrize(("field", "value"), [("count", "0"), ("probability", "2"), ("seed", "x")])
def test_a_refused_fault_field_gets_the_focus(
    server: Server, browser_page: Any, field: str, value: str
) -> None:
    page = browser_page
    page.goto(f"{server.url}/console/faults")
    sign_in_if_asked(page, server)
    page.fill("input[name=path]", "/v1/focus")
    _submit_typed(page, field, value)
    assert page.inner_text("p.error[role=alert]").startswith(f"{field}:")
    assert page.evaluate(_FOCUSED) == field


def test_an_unknown_customer_on_the_fault_form_focuses_its_first_field(
    server: Server, browser_page: Any
) -> None:
    """An error that names no field (the store's: no such customer) focuses the form's first."""
    page = browser_page
    page.goto(f"{server.url}/console/faults")
    sign_in_if_asked(page, server)
    page.fill("input[name=path]", "/v1/focus")
    _submit_typed(page, "customer", "amzn1.account.NOBODY")
    assert page.is_visible("p.error[role=alert]")
    assert page.evaluate(_FOCUSED) == "method"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/console/customers?region=xx", "region"),
        ("/console/enablements?link_status=x", "link_status"),
        ("/console/enablements?customer=1", "skill_id"),  # no such filter: the first one
        ("/console/journal?status=abc", "status"),
        ("/console/journal?direction=up", "direction"),
        ("/console/journal?bogus=1", "path"),
    ],
)
def test_a_refused_filter_gets_the_focus(server: Server, browser_page: Any, query: str, field: str) -> None:
    page = browser_page
    page.goto(f"{server.url}{query}")
    sign_in_if_asked(page, server)
    page.goto(f"{server.url}{query}")  # again: the sign-in page's own answer is no refusal
    assert page.is_visible("p.error[role=alert]")
    assert page.evaluate(_FOCUSED) == field


def test_a_page_without_an_error_leaves_the_focus_alone(server: Server, browser_page: Any) -> None:
    page = browser_page
    page.goto(f"{server.url}/console/faults")
    sign_in_if_asked(page, server)
    page.goto(f"{server.url}/console/journal")
    assert page.evaluate("() => document.activeElement === document.body")
