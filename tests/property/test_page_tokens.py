"""core/pagination.py page tokens: any string is refused with InvalidPageToken (a 400), any bit
flip of a valid token is refused, and a token opens only for the list, caller and query it was
issued for, within its lifetime."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localexa.server.core.errors import BadRequest
from localexa.server.core.pagination import (
    PAGE_TOKEN_LIFETIME,
    InvalidPageToken,
    KeyPart,
    PageBinding,
    PageSize,
    PageTokenCodec,
)
from tests.property import budget

CI = budget(300)
NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CODEC = PageTokenCodec(b"property-secret")
B64 = string.ascii_letters + string.digits + "-_"

names = st.text(max_size=30)
queries = st.dictionaries(
    st.text(max_size=10), st.none() | st.text(max_size=10) | st.integers() | st.booleans(), max_size=3
)
bindings = st.builds(PageBinding, names, names, queries)
key_parts: st.SearchStrategy[KeyPart] = (
    st.integers(-(2**63), 2**63)
    | st.text(max_size=40)
    | st.datetimes(timezones=st.just(UTC), min_value=datetime(1971, 1, 1), max_value=datetime(9000, 1, 1))
)
keys = st.lists(key_parts, min_size=1, max_size=3).map(tuple)


@CI
@given(st.text(max_size=300) | st.text(alphabet=B64 + "=+/ \n", max_size=300), bindings)
def test_any_string_is_refused_as_invalid_page_token(token: str, binding: PageBinding) -> None:
    with pytest.raises(InvalidPageToken):
        CODEC.open(token, binding, now=NOW)


@CI
@given(bindings, keys)
def test_a_token_opens_to_its_key(binding: PageBinding, key: tuple[KeyPart, ...]) -> None:
    token = CODEC.issue(binding, key, now=NOW)
    assert CODEC.open(token, binding, now=NOW + PAGE_TOKEN_LIFETIME - timedelta(milliseconds=1)) == key
    assert set(token) <= set(B64)
    assert len(token) <= 4096


@CI
@given(bindings, keys, st.data())
def test_any_bit_flip_is_refused(binding: PageBinding, key: tuple[KeyPart, ...], data: st.DataObject) -> None:
    token = CODEC.issue(binding, key, now=NOW)
    # The last characters often: base64 ignores the low bits of the last one (malleability).
    index = data.draw(st.sampled_from([len(token) - 1, len(token) - 2]) | st.integers(0, len(token) - 1))
    bit = data.draw(st.integers(0, 6), label="bit")
    flipped = chr(ord(token[index]) ^ (1 << bit))
    altered = token[:index] + flipped + token[index + 1 :]
    with pytest.raises(InvalidPageToken):
        CODEC.open(altered, binding, now=NOW)


@CI
@given(bindings, keys, st.data())
def test_any_edit_of_a_token_is_refused(
    binding: PageBinding, key: tuple[KeyPart, ...], data: st.DataObject
) -> None:
    """Inserting, deleting or swapping characters (the base64 alphabet's and others)."""
    token = CODEC.issue(binding, key, now=NOW)
    index = data.draw(st.integers(0, len(token)))
    extra = data.draw(st.text(alphabet=B64 + "=+/ \n.", min_size=1, max_size=3))
    for altered in (token[:index] + extra + token[index:], token[:index] + token[index + 1 :]):
        if altered != token:
            with pytest.raises(InvalidPageToken):
                CODEC.open(altered, binding, now=NOW)


@CI
@given(bindings, bindings, keys)
def test_a_token_is_refused_for_another_list_caller_or_query(
    mine: PageBinding, other: PageBinding, key: tuple[KeyPart, ...]
) -> None:
    token = CODEC.issue(mine, key, now=NOW)
    same = (
        mine.collection == other.collection
        and mine.caller_digest() == other.caller_digest()
        and mine.query_digest() == other.query_digest()
    )
    if same:
        assert CODEC.open(token, other, now=NOW) == key
    else:
        with pytest.raises(InvalidPageToken):
            CODEC.open(token, other, now=NOW)


@CI
@given(bindings, keys, st.binary(min_size=1, max_size=32))
def test_a_token_of_another_server_is_refused(
    binding: PageBinding, key: tuple[KeyPart, ...], secret: bytes
) -> None:
    if secret == b"property-secret":
        return
    token = PageTokenCodec(secret).issue(binding, key, now=NOW)
    with pytest.raises(InvalidPageToken):
        CODEC.open(token, binding, now=NOW)


@CI
@given(bindings, keys, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3650)))
def test_a_token_expires(binding: PageBinding, key: tuple[KeyPart, ...], late: timedelta) -> None:
    token = CODEC.issue(binding, key, now=NOW)
    with pytest.raises(InvalidPageToken):
        CODEC.open(token, binding, now=NOW + PAGE_TOKEN_LIFETIME + late)


@CI
@given(st.none() | st.text(max_size=30) | st.integers() | st.booleans())
def test_max_results_is_a_number_in_range_or_a_bad_request(raw: str | int | bool | None) -> None:
    size = PageSize(default=10, maximum=100)
    try:
        value = size.parse(raw)
    except BadRequest:
        return
    assert 1 <= value <= 100
