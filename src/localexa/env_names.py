"""The `LOCALEXA_*` environment variables localexa reads, and the one a misspelt name meant.

pydantic-settings ignores a variable that is no setting, so `LOCALEXA_RATE_LIMT=2/minute` left
the default budget in place without a word (QA of 2026-12-06). `localexa serve` warns of a name
that is close to one of these and is none of them; the pytest plugin refuses one in its ini
option `localexa_env`, which holds the server's settings only.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager

PREFIX = "LOCALEXA_"
#: The settings of `localexa serve` (server/settings.py's `Settings` fields), listed here so that
#: checking a name imports no server: the pytest plugin checks `localexa_env` in every pytest
#: process, and importing the settings brought FastAPI into each (review 36b). A unit test
#: (tests/cli/test_misspelt_names.py) fails when this list and `Settings` differ.
SETTING_NAMES = frozenset(
    {
        "LOCALEXA_ADMIN_KEY",
        "LOCALEXA_AFTER_LINK_LEASE_SECONDS",
        "LOCALEXA_CLIENT_TIMEOUT",
        "LOCALEXA_DATABASE_URL",
        "LOCALEXA_DATA_DIR",
        "LOCALEXA_DEMO",
        "LOCALEXA_DEMO_PORT",
        "LOCALEXA_DIRECTIVE_TIMEOUT",
        "LOCALEXA_EU_PORT",
        "LOCALEXA_EU_PUBLIC_BASE_URL",
        "LOCALEXA_EVALUATION_CASE_TIMEOUT",
        "LOCALEXA_EVALUATION_CONCURRENT_RUNS",
        "LOCALEXA_EVALUATION_LEASE_SECONDS",
        "LOCALEXA_EXIT_WITH_PARENT",
        "LOCALEXA_FE_PORT",
        "LOCALEXA_FE_PUBLIC_BASE_URL",
        "LOCALEXA_FORWARDED_ALLOW_IPS",
        "LOCALEXA_HOST",
        "LOCALEXA_IDLE_TIMEOUT",
        "LOCALEXA_JOURNAL_RETENTION",
        "LOCALEXA_LOG_LEVEL",
        "LOCALEXA_MAX_BODY_BYTES",
        "LOCALEXA_MAX_RESTORE_BYTES",
        "LOCALEXA_OUTBOUND_CA_FILE",
        "LOCALEXA_PASSWORD_HASH_N",
        "LOCALEXA_PORT",
        "LOCALEXA_PUBLIC_BASE_URL",
        "LOCALEXA_RATE_LIMIT",
        "LOCALEXA_REDIS_URL",
        "LOCALEXA_SECRET_KEY",
        "LOCALEXA_SIGN_IN_RATE_LIMIT",
        "LOCALEXA_STOP_GRACE",
        "LOCALEXA_TLS",
        "LOCALEXA_TOKEN_EXCHANGE_TIMEOUT",
    }
)
#: Read by `localexa serve` besides its settings (cli/import_path.py, cli/serve_servers.py).
SERVER_EXTRA = frozenset({"LOCALEXA_EXTRA_PYTHONPATH", "LOCALEXA_FORCE_STOP_SECONDS"})
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
    return SETTING_NAMES | SERVER_EXTRA


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


@contextmanager
def read_in_any_case(environ: MutableMapping[str, str]) -> Iterator[None]:
    """Within: each known variable set in another case (`localexa_data_dir`) moved to its
    upper-case name, unless that is set too, which wins; the other-case copy is dropped either
    way. The variables are as they were after (an in-process run, CliRunner's, leaves none behind).

    pydantic-settings reads the server's settings in any case, and the command line's options
    (Typer), `LOCALEXA_EXTRA_PYTHONPATH` and `LOCALEXA_FORCE_STOP_SECONDS` were read in upper case
    only: `localexa_data_dir=…` served from ./.localexa without a word (readme37a F1). One name per
    setting also leaves pydantic-settings no two spellings to choose between."""
    known = server_names() | OTHERS
    moved = {name: environ[name] for name in environ if name.upper() != name and name.upper() in known}
    added = []
    for name, value in moved.items():
        del environ[name]
        if name.upper() not in environ:
            environ[name.upper()] = value
            added.append(name.upper())
    try:
        yield
    finally:
        for name in added:
            environ.pop(name, None)
        environ.update(moved)
