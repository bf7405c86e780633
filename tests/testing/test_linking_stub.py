"""The kit's stand-in for a skill's OAuth token endpoint (RFC 6749 §4.1.3, §6, §2.3.1)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from localexa.testing import AccountLinkingStub

REDIRECT = "https://app.example.com/alexa/link"


@pytest.fixture
def stub() -> Iterator[AccountLinkingStub]:
    with AccountLinkingStub(client_id="skill", client_secret="s3cret") as running:
        yield running


def exchange(
    stub: AccountLinkingStub, auth: tuple[str, str] | None = ("skill", "s3cret"), **form: str
) -> httpx.Response:
    return httpx.post(stub.token_url, data=form, auth=auth, timeout=5)


def test_a_code_is_exchanged_once_for_its_redirect_uri(stub: AccountLinkingStub) -> None:
    code = stub.issue_code(REDIRECT)
    wrong_uri = exchange(
        stub,
        grant_type="authorization_code",
        code=stub.issue_code(REDIRECT),
        redirect_uri="https://evil.example/",
    )
    assert (wrong_uri.status_code, wrong_uri.json()["error"]) == (400, "invalid_grant")

    first = exchange(stub, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    again = exchange(stub, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400

    refreshed = exchange(stub, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != tokens["access_token"]
    assert [e.status for e in stub.exchanges] == [400, 200, 400, 200]


def test_client_authentication_by_basic_or_form(stub: AccountLinkingStub) -> None:
    code = stub.issue_code(REDIRECT)
    wrong = exchange(
        stub, ("skill", "guess"), grant_type="authorization_code", code=code, redirect_uri=REDIRECT
    )
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    in_body = exchange(
        stub, None, grant_type="authorization_code", code=code, redirect_uri=REDIRECT,
        client_id="skill", client_secret="s3cret",
    )  # fmt: skip
    assert in_body.status_code == 200


def test_other_grants_and_paths_are_refused(stub: AccountLinkingStub) -> None:
    assert exchange(stub, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert httpx.post(stub.base_url + "/elsewhere", data={}, timeout=5).status_code == 404


def test_the_skill_account_linking_object_points_at_the_stub(stub: AccountLinkingStub) -> None:
    linking = stub.account_linking(REDIRECT)
    assert linking["accessTokenUrl"] == stub.token_url
    assert (linking["clientId"], linking["clientSecret"]) == ("skill", "s3cret")
    assert linking["redirectUrls"] == [REDIRECT]
    assert "s3cret" not in repr(stub)
