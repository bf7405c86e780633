"""Network keys and PSKc are sealed at rest: never in the SQLite file (or its WAL), never in a
PostgreSQL column; a sealed value copied to another network does not open."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import text

from localexa.server.core.crypto import SecretBox
from localexa.server.credential_locker.models import seal_context
from localexa.server.settings import Settings
from tests.credential_locker.conftest import Locker, network

KEY = "5ec12e7c0ffee0ddba11f00d5a1ad0e5"
PSKC = "0b5e55edfacade0f1eece11a12c0de42"


def _forms(hex_value: str) -> list[bytes]:
    """Every way the value could sit in a file: hex in either case, or the raw bytes."""
    return [hex_value.encode(), hex_value.upper().encode(), bytes.fromhex(hex_value)]


async def test_network_key_and_pskc_are_not_stored_in_clear(
    locker: Locker, app: FastAPI, settings: Settings
) -> None:
    assert (await locker.put(network(networkKey=KEY, pskc=PSKC))).status_code == 200
    # Served in clear, as the API intends.
    served = (await locker.get(extendedPanId="dead00beef00cafe")).json()["threadNetworks"][0]
    assert (served["networkKey"], served["pskc"]) == (KEY, PSKC)

    async with app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT network_key_sealed, pskc_sealed, network_name FROM thread_networks")
            )
        ).one()
    assert row.network_name == "Home-0"  # the query does read the row
    for column in (row.network_key_sealed, row.pskc_sealed):
        for secret in (KEY, PSKC):
            assert secret not in column.lower()

    if app.state.engine.dialect.name == "sqlite":
        db_file = Path(settings.resolved_database_url().split("///", 1)[1])
        files = [p for p in (db_file, Path(f"{db_file}-wal")) if p.exists()]
        content = b"".join(p.read_bytes() for p in files)
        assert b"Home-0" in content  # the row did reach the files we read
        for secret in (KEY, PSKC):
            for form in _forms(secret):
                assert form not in content


def test_sealed_values_are_bound_to_their_network() -> None:
    box = SecretBox(b"k" * 32)
    sealed = box.seal(KEY, context=seal_context("amzn1.account.A", "00" * 8, "Home", "networkKey"))
    assert box.open(sealed, context=seal_context("amzn1.account.A", "00" * 8, "Home", "networkKey")) == KEY
    for other in (
        seal_context("amzn1.account.B", "00" * 8, "Home", "networkKey"),
        seal_context("amzn1.account.A", "11" * 8, "Home", "networkKey"),
        seal_context("amzn1.account.A", "00" * 8, "Home", "pskc"),
    ):
        with pytest.raises(ValueError, match="does not open"):
            box.open(sealed, context=other)
