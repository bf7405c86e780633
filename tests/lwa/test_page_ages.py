"""How long the sign-in pages' signed values live, measured as tokens and codes are (QA of
2026-12-05): to the microsecond with the limit exclusive (itsdangerous counted whole seconds,
inclusive, so a 15-minute page lived 900 to ~902 s), taking a value signed slightly ahead of this
process's clock (another process re-read the clock after an advance), and with the page stamped
by the clock as it stands now in every process (it was the clock read up to 0.5 s before)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from localexa.server.core.clock import Clock
from localexa.server.core.crypto import SecretBox
from localexa.server.lwa.signing import REQUEST_MAX_AGE, SESSION_MAX_AGE, SIGNED_CLOCK_SKEW, PageSigner
from localexa.server.settings import Settings
from tests.conftest import ADMIN_KEY, SECRET_KEY
from tests.factories import Admin
from tests.lwa.browser import Browser, authorize_url, form_for, serving

EXPIRED = "Sign-in page expired"


# The page ages by the advance plus the real time the test takes between the page and the submit:
# at 899.5 s a loaded CI machine took 1.2 s for the clock call alone and the page had expired (CI,
# 2026-12-07). The live case keeps 5 s for that; the limit itself, exclusive to the microsecond,
# is pinned on a fake clock below (test_the_limit_is_exclusive_to_the_microsecond).
@pytest.mark.parametrize(("advance", "live"), [(895.0, True), (900.0, False)])
async def test_a_page_lives_fifteen_minutes_and_no_more(
    admin: Admin, browser: Browser, advance: float, live: bool
) -> None:
    customer = await admin.customer()
    client_id, _ = await admin.lwa_client()
    page = await browser.get(authorize_url(client_id))
    await admin.advance_clock(advance)
    answer = await browser.submit(
        page, "signin", fill={"email": customer.email, "password": customer.password}
    )
    if live:
        assert answer.status_code == 200, answer.text
        assert form_for(answer.text, "consent")
    else:
        assert EXPIRED in answer.text


def test_values_signed_ahead_within_the_skew_are_taken() -> None:
    box = SecretBox(b"k" * 32)
    here = PageSigner(box, Clock())
    for ahead, taken in (
        (SIGNED_CLOCK_SKEW.total_seconds() - 5, True),
        (SIGNED_CLOCK_SKEW.total_seconds() + 5, False),
    ):
        there = PageSigner(box, Clock(offset_seconds=ahead))
        session = there.new_session("amzn1.account.A")
        assert (here.load_session(there.cookie_value(session)) is not None) is taken, ahead
        assert (here.load_request(there.sign_request({"client_id": "x"})) == {"client_id": "x"}) is taken, (
            ahead
        )


class _StoppedClock(Clock):
    """localexa's clock stopped at `at` plus its offset: no real time passes between signing and
    loading (with the wall clock running, the live case had 50 ms, and a loaded machine's stall
    between the two calls expired the value)."""

    def __init__(self, at: datetime, offset_seconds: float = 0.0) -> None:
        super().__init__(offset_seconds=offset_seconds)
        self._at = at

    def now(self) -> datetime:
        return self._at + timedelta(seconds=self.offset_seconds)


@pytest.mark.parametrize(("max_age", "kind"), [(REQUEST_MAX_AGE, "request"), (SESSION_MAX_AGE, "session")])
def test_the_limit_is_exclusive_to_the_microsecond(max_age: timedelta, kind: str) -> None:
    box = SecretBox(b"k" * 32)
    at = datetime.now(UTC)
    signer = PageSigner(box, _StoppedClock(at))
    value = signer.sign_request({"a": 1}) if kind == "request" else signer.cookie_value(signer.new_session())
    limit = max_age.total_seconds()
    for offset, live in ((limit - 0.000_001, True), (limit, False), (limit + 0.000_001, False)):
        later = PageSigner(box, _StoppedClock(at, offset))
        loaded = later.load_request(value) if kind == "request" else later.load_session(value)
        assert (loaded is not None) is live, offset


async def test_two_processes_serve_one_sign_in_right_after_an_advance(
    tmp_path: Path, database_url: str
) -> None:
    """A page from B just after an advance through A (B's clock read before it) was expired when
    its form reached A; a cookie A signed after the advance was no session to B (it set a new
    one, signing the browser out). Each failed 5 of 5 times in QA."""

    def settings(name: str) -> Settings:
        return Settings(
            data_dir=tmp_path / name,
            database_url=database_url,
            demo=False,
            admin_key=ADMIN_KEY,
            secret_key=SECRET_KEY,
            password_hash_n=1024,
        )

    async with (
        serving(settings("a")) as (_, admin_a, browser_a),
        serving(settings("b")) as (_, _, browser_b),
    ):
        customer = await admin_a.customer()
        client_id, _ = await admin_a.lwa_client()
        assert (await browser_b.get(authorize_url(client_id))).status_code == 200  # B reads the clock
        await admin_a.advance_clock(86_400)
        page_b = await browser_b.get(authorize_url(client_id))
        browser_a.http.cookies.update(browser_b.http.cookies)
        consent = await browser_a.submit(
            page_b, "signin", fill={"email": customer.email, "password": customer.password}
        )
        assert EXPIRED not in consent.text
        assert form_for(consent.text, "consent")

        await admin_a.advance_clock(600)
        signed_in_again = await browser_a.get(authorize_url(client_id))  # A's cookie, new clock
        assert form_for(signed_in_again.text, "consent")
        browser_b.http.cookies.clear()
        browser_b.http.cookies.update(browser_a.http.cookies)
        on_b = await browser_b.get(authorize_url(client_id))
        assert form_for(on_b.text, "consent")  # still signed in
        assert "set-cookie" not in on_b.headers
