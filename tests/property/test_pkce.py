"""PKCE (RFC 7636) on both sides: the client's verifier check and challenge, the server's
challenge and verifier checks (server/lwa/pkce.py). Any text is accepted only when it is in the
§4.1 alphabet and length; what the client makes, the server verifies."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localexa.client.pkce import check_code_verifier, code_challenge_s256, generate_code_verifier
from localexa.server.lwa import pkce as server_pkce
from tests.property import budget

CI = budget(300)
UNRESERVED = string.ascii_letters + string.digits + "-._~"
RFC_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
RFC_S256 = re.compile(r"[A-Za-z0-9\-_]{43}")
verifiers = st.text(alphabet=UNRESERVED, min_size=43, max_size=128)
#: Any text, and near-valid text: a valid verifier with a few characters around it.
texts = st.text(max_size=140) | st.builds(
    lambda v, a, b: a + v + b, verifiers, st.text(max_size=2), st.text(max_size=2)
)


@CI
@given(texts)
def test_client_accepts_exactly_the_rfc_verifiers(text: str) -> None:
    if RFC_VERIFIER.fullmatch(text):
        assert check_code_verifier(text) == text
    else:
        with pytest.raises(ValueError, match="RFC 7636"):
            check_code_verifier(text)


@CI
@given(verifiers, st.sampled_from(server_pkce.METHODS))
def test_what_the_client_makes_the_server_verifies(verifier: str, method: str) -> None:
    challenge = code_challenge_s256(verifier) if method == server_pkce.S256 else verifier
    assert RFC_S256.fullmatch(code_challenge_s256(verifier))
    assert server_pkce.valid_challenge(challenge, method)
    assert server_pkce.verify(verifier, challenge, method)
    assert server_pkce.s256_challenge(verifier) == code_challenge_s256(verifier)


@CI
@given(st.integers(43, 128))
def test_generated_verifiers_are_rfc_verifiers(length: int) -> None:
    assert RFC_VERIFIER.fullmatch(generate_code_verifier(length))


@CI
@given(texts, texts, st.sampled_from([*server_pkce.METHODS, "S512", ""]))
def test_server_checks_never_raise(verifier: str, challenge: str, method: str) -> None:
    if server_pkce.valid_challenge(challenge, method):
        server_pkce.verify(verifier, challenge, method)


@CI
@given(verifiers, st.sampled_from(server_pkce.METHODS))
def test_server_refuses_what_is_outside_the_rfc_alphabet(verifier: str, method: str) -> None:
    challenge = code_challenge_s256(verifier) if method == server_pkce.S256 else verifier
    assert not server_pkce.valid_challenge(challenge + "\n", method)
    assert not server_pkce.verify(verifier + "\n", verifier + "\n", server_pkce.PLAIN)
