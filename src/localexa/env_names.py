"""The `LOCALEXA_*` environment variables localexa reads, and the one a misspelt name meant.

pydantic-settings ignores a variable that is no setting, so `LOCALEXA_RATE_LIMT=2/minute` left
the default budget in place without a word (QA of 2026-12-06). `localexa serve` warns of a name
that is close to one of these and is none of them; the pytest plugin refuses one in its ini
option `localexa_env`, which holds the server's settings only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

PREFIX = "LOCALEXA_"
#: Read by `localexa serve` besides its settings (cli/import_path.py).
SERVER_EXTRA = frozenset({"LOCALEXA_EXTRA_PYTHONPATH"})
#: Read by the client, the CLI's other commands and the testing kit.
OTHERS = frozenset(
    {
        "LOCALEXA_URL",
        "LOCALEXA_TOKEN",
        "LOCALEXA_CA_FILE",
        "LOCALEXA_RETRIES",
        "LOCALEXA_CLIENT_SECRET",
        "LOCALEXA_TEST_DATABASE_URL",
        "LOCALEXA_TEST_REDIS_URL",
        "LOCALEXA_TEST_PORTS",
    }
)
#: How alike a name must be to a known one to be taken for its misspelling (difflib's ratio).
CLOSE = 0.85


def server_names() -> frozenset[str]:
    """Every variable `localexa serve` reads: its settings' and SERVER_EXTRA."""
    from localexa.server.settings import Settings

    return frozenset(PREFIX + name.upper() for name in Settings.model_fields) | SERVER_EXTRA


def nearest(name: str, known: Iterable[str]) -> str | None:
    """The known name `name` most likely misspells, if one is close enough."""
    found = difflib.get_close_matches(name.upper(), sorted(known), n=1, cutoff=CLOSE)
    return found[0] if found else None


def misspelt(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """(given, meant) for each `LOCALEXA_*` variable that is none localexa reads but close to one."""
    known = server_names() | OTHERS
    pairs = []
    for name in sorted(environ):
        upper = name.upper()  # pydantic-settings reads names in any case
        if upper.startswith(PREFIX) and upper not in known and (meant := nearest(name, known)):
            pairs.append((name, meant))
    return pairs
