"""A snapshot's sealed values (observe/state.py restore): each must open under this server's key
and the context its row binds it to, before anything is written.

The key fingerprint says the snapshot came from a server with this key, not that every sealed
value is intact: a hand-edited `network_key_sealed` restored, then every read of that network was
a 500. Each sealed column's context is the one its area seals with, named here from the row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localexa.server.core.crypto import SecretBox
from localexa.server.core.errors import BadRequest
from localexa.server.credential_locker.models import seal_context as network_seal_context
from localexa.server.db.base import DEMO_SEAL_CONTEXT
from localexa.server.enablement.links import token_seal_context
from localexa.thread import fields as f

Row = Mapping[str, Any]


def _network(column: str) -> Callable[[Row], str]:
    def context(row: Row) -> str:
        return network_seal_context(
            str(row.get("user_id")), str(row.get("extended_pan_id")), str(row.get("network_name")), column
        )

    return context


#: Table → sealed column → the context its value was sealed under, from the row. A sealed column
#: missing here is caught by tests/observe/test_restore_seals.py (every `*sealed` column).
SEALED_COLUMNS: dict[str, dict[str, Callable[[Row], str]]] = {
    "skills": {"account_linking_secret_sealed": lambda row: str(row.get("id"))},
    "lwa_clients": {"secret_sealed": lambda row: str(row.get("client_id"))},
    "enablements": {
        "access_token_sealed": lambda row: token_seal_context(row.get("id"), "access"),
        "refresh_token_sealed": lambda row: token_seal_context(row.get("id"), "refresh"),
    },
    "thread_networks": {
        "network_key_sealed": _network(f.NETWORK_KEY),
        "pskc_sealed": _network(f.PSKC),
    },
    "demo_seed": {"sealed": lambda row: DEMO_SEAL_CONTEXT},
}


def check_sealed_values(rows_by_table: Mapping[str, list[dict[str, Any]]], box: SecretBox) -> None:
    """BadRequest naming the first table, row and column whose sealed value does not open here
    (never the value). A null stays null: the column's own check refused it where it may not be."""
    for table, columns in SEALED_COLUMNS.items():
        for index, row in enumerate(rows_by_table.get(table, [])):
            for column, context_of in columns.items():
                sealed = row.get(column)
                if sealed is None:
                    continue
                try:
                    box.open(sealed, context=context_of(row))
                except ValueError:
                    raise BadRequest(
                        f"tables.{table}[{index}].{column}: does not open under this server's key "
                        "for this row (edited, or copied from another row)."
                    ) from None
