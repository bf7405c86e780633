"""A 400 for unknown fields names a few of them, each cut short: the names are the client's text,
any number and any length, and a PUT with 20,000 unknown fields (880 KB, under the body cap) was
answered with a 780 KB message listing every one, which the journal kept too (QA of 2026-12-07)."""

from __future__ import annotations

import json

import pytest

from localexa.thread import fields as f
from tests.credential_locker.conftest import PATH, Locker, network

#: Far more than a message needs, far less than the 1 MiB body cap.
MANY = 20_000


def _names(count: int) -> list[str]:
    return [f"field{i:05d}-{'x' * 20}" for i in range(count)]


@pytest.mark.parametrize("where", ["threadNetwork", "top"])
async def test_many_unknown_fields_are_named_a_few_and_counted(locker: Locker, where: str) -> None:
    extra = dict.fromkeys(_names(MANY), 1)
    body = (
        {"threadNetwork": {**network(0), **extra}}
        if where == "threadNetwork"
        else {**extra, "threadNetwork": network(0)}
    )
    headers = {**locker.headers, "Content-Type": "application/json"}

    response = await locker.client.put(PATH, content=json.dumps(body), headers=headers)

    assert response.status_code == 400, response.text[:300]
    message = response.json()["message"]
    assert len(message) < 400, len(message)
    assert message.endswith(f"field00004-{'x' * 20} (and {MANY - 5} more)."), message
    assert message.startswith("threadNetwork has" if where == "threadNetwork" else "The request body has")


async def test_a_long_unknown_name_is_cut_short(locker: Locker) -> None:
    response = await locker.put(network(0, **{"y" * 100_000: 1}))

    assert response.status_code == 400
    assert response.json()["message"] == f"threadNetwork has unknown field(s): {'y' * 40}…."


def test_the_check_names_the_first_unknown_field_whole() -> None:
    """`InvalidField.field` stays the name itself (the CLI maps it to an option); only the
    message is short."""
    with pytest.raises(f.InvalidField) as caught:
        f.check_thread_network({**network(0), **dict.fromkeys(_names(7), 1), "z" * 50: 1})
    assert caught.value.field == _names(1)[0]
    assert caught.value.message == (
        f"threadNetwork has unknown field(s): {', '.join(_names(5))} (and 3 more)."
    )
