"""The `localexa` pytest plugin, registered through the `pytest11` entry point `localexa`.

Fixtures:

- `localexa`: a `Localexa` (kit.py) on the session's server, emptied (`POST /_localexa/reset`)
  before the test: a ready `client`, `url`, `admin_key`, and `create_customer`, `create_developer`,
  `create_skill`, `access_token`, `link`, `advance_clock`, `fault`, `reset`.
- `localexa_server`: the session's `LocalexaServer` (one per pytest session, or per xdist worker),
  made with the arguments of `localexa_server_options`.
- `localexa_server_options`: those arguments (a dict of `LocalexaServer` keywords); override it in
  a conftest.py to set the server up (a fixture of that name may take the plugin's own and add).
- `localexa_session`: the session's `Localexa`, not emptied (what `localexa` resets and hands out).

Options: `--localexa-database-url URL` (or `LOCALEXA_TEST_DATABASE_URL`): run the server on a
fresh database made on that PostgreSQL server instead of SQLite; `--localexa-tls`: serve HTTPS
from a local CA that the kit's clients trust; the ini option `localexa_env` (lines of
`NAME=VALUE`): the server's settings. `-p no:localexa` turns the plugin off.

This module stays tiny: it imports only pytest, and the kit (client, subprocess handling) when a
fixture first runs, so loading the plugin costs nothing in suites that never use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from localexa.testing.kit import Localexa
    from localexa.testing.server import LocalexaServer

DATABASE_URL_ENV = "LOCALEXA_TEST_DATABASE_URL"
ENV_INI = "localexa_env"


def _rewrite_only_the_kit(pluginmanager: pytest.PytestPluginManager) -> None:
    """pytest marks the whole distribution of a `pytest11` plugin for assertion rewriting: every
    `localexa` module (the server, the client) would be compiled by pytest's rewriter in the test
    process, and get rewriting's helper names. Narrow the mark to the testing kit. pytest has no
    public call for it; if its internals change, the mark simply stays (a test notices)."""
    hook = getattr(pluginmanager, "rewrite_hook", None)
    marked = getattr(hook, "_must_rewrite", None)
    if isinstance(marked, set) and "localexa" in marked:
        marked.discard("localexa")
        marked.add("localexa.testing")
        cache = getattr(hook, "_marked_for_rewrite_cache", None)
        if isinstance(cache, dict):
            cache.clear()


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    _rewrite_only_the_kit(pluginmanager)
    group = parser.getgroup("localexa", "localexa testing kit")
    group.addoption(
        "--localexa-database-url",
        default=None,
        help=f"PostgreSQL server URL for the test server's fresh database (env {DATABASE_URL_ENV}; "
        "default: SQLite in a temporary directory).",
    )
    group.addoption("--localexa-tls", action="store_true", default=False, help="Serve HTTPS from a local CA.")
    parser.addini(
        ENV_INI,
        type="linelist",
        default=[],
        help="The test server's environment, one NAME=VALUE a line (e.g. LOCALEXA_DIRECTIVE_TIMEOUT=2).",
    )


def pytest_configure(config: pytest.Config) -> None:
    _ini_env(config)  # a bad `localexa_env` line stops the run at its start, not at the first test


def _ini_env(config: pytest.Config) -> dict[str, str]:
    """`localexa_env`'s lines as a mapping; a line that is no NAME=VALUE, or a `LOCALEXA_*` name
    that is no setting of the server (a misspelt one was ignored silently), is a usage error."""
    env: dict[str, str] = {}
    lines = config.getini(ENV_INI)
    if not lines:
        return env
    from localexa.env_names import PREFIX, nearest, server_names

    known = server_names()
    for line in lines:
        name, equals, value = str(line).partition("=")
        name = name.strip()
        if not equals or not name or any(c.isspace() for c in name):
            example = "LOCALEXA_DIRECTIVE_TIMEOUT=2"
            raise pytest.UsageError(f"{ENV_INI}: {line!r} is not NAME=VALUE (e.g. {example})")
        if name.upper().startswith(PREFIX) and name.upper() not in known:
            meant = nearest(name, known)
            hint = f"did you mean {meant}?" if meant else "the README's settings table lists them"
            raise pytest.UsageError(f"{ENV_INI}: {name} is not a setting of localexa serve; {hint}")
        env[name] = _ini_value(value)
    return env


def _ini_value(value: str) -> str:
    """A value as the server should see it. pytest keeps what follows it on its line, so a
    comment after ` #` reached the server as part of the value (`2  # seconds` as the directive
    timeout): it is dropped. A value in matching quotes is taken as it is, `#` included."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    for index, char in enumerate(value):
        if char == "#" and index > 0 and value[index - 1].isspace():
            return value[:index].rstrip()
    return value


@pytest.fixture(scope="session")
def localexa_server_options(pytestconfig: pytest.Config) -> dict[str, Any]:
    """The `LocalexaServer` arguments of the session's server: `database_url` (from
    `--localexa-database-url` or LOCALEXA_TEST_DATABASE_URL), `tls` (`--localexa-tls`) and `env`
    (the ini option `localexa_env`); override it in a conftest.py to change them.

    For example, to add settings:

        @pytest.fixture(scope="session")
        def localexa_server_options(localexa_server_options):
            env = {**localexa_server_options["env"], "LOCALEXA_DIRECTIVE_TIMEOUT": "2"}
            return {**localexa_server_options, "env": env}
    """
    database_url = pytestconfig.getoption("localexa_database_url") or os.environ.get(DATABASE_URL_ENV)
    return {
        "database_url": database_url or None,
        "tls": bool(pytestconfig.getoption("localexa_tls")),
        "env": _ini_env(pytestconfig),
    }


@pytest.fixture(scope="session")
def localexa_server(
    localexa_server_options: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalexaServer]:
    """One localexa server for the whole session (its data and `server.log` in a pytest temp dir
    unless `localexa_server_options` names a `data_dir`)."""
    from localexa.testing.server import LocalexaServer

    options = dict(localexa_server_options)
    if options.get("data_dir") is None:
        options["data_dir"] = tmp_path_factory.mktemp("localexa")
    server = LocalexaServer(**options)
    with server:
        yield server


@pytest.fixture(scope="session")
def localexa_session(localexa_server: LocalexaServer) -> Iterator[Localexa]:
    """The session's `Localexa` on `localexa_server`, never emptied by itself: the `localexa`
    fixture is this object, reset before each test. Use it where `localexa` cannot be (a fixture
    of a wider scope); what it makes lasts until the next test that asks for `localexa`."""
    from localexa.testing.kit import Localexa

    kit = Localexa(localexa_server)
    kit._shared = True  # a test's `with localexa:` or `localexa.close()` must not close it
    try:
        yield kit
    finally:
        kit._close()


@pytest.fixture
def localexa(localexa_session: Localexa, request: pytest.FixtureRequest) -> Localexa:
    """The session's server, emptied for this test, with a client and account factories."""
    from localexa.client import RateLimitError

    # A server that crashed, or that an earlier test stopped, fails here with its reason (and
    # its log's tail), not with a connection error from the reset.
    localexa_session.server.require_running()
    try:
        localexa_session.reset()
    except RateLimitError as error:
        if _WRONG_KEYS not in error.message:
            raise
        # The server's rule, kept: once an address spent its wrong-key budget, no key from it is
        # checked, the kit's right one included. Every test until it refills failed here with a
        # bare 429 and no word of the test that caused it (review 36b).
        earlier = request.config.stash.get(_LAST_SERVER_TEST, None)
        locked_out = _locked_out(localexa_session.server.host, earlier, error.retry_after)
    else:
        return localexa_session
    pytest.fail(locked_out, pytrace=False)  # outside `except`: the 429 is not shown again above it


_WRONG_KEYS = "Too many wrong admin keys"  # the server's words (server/core/auth.py)
_SERVER_FIXTURES = frozenset({"localexa", "localexa_session", "localexa_server"})
_LAST_SERVER_TEST = pytest.StashKey[str]()


def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Remember the last test that used the session's server: the one a locked-out reset names."""
    if _SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        item.config.stash[_LAST_SERVER_TEST] = item.nodeid


def _locked_out(host: str, earlier: str | None, retry_after: float | None) -> str:
    if earlier is not None:
        who = f"the last test before this one to use the server was {earlier}"
    else:  # the first test to use it: a session fixture, or another process on this address
        who = "no test used the server before this one"
    wait = f"{retry_after:g} s" if retry_after is not None else "the budget's window"
    return (
        f"the localexa server refused the kit's reset before this test with 429: an earlier test "
        f"spent the wrong-admin-key budget of {host} (LOCALEXA_SIGN_IN_RATE_LIMIT, 100/minute "
        f"unless localexa_env sets it; {who}). Once an address has spent it, the server refuses "
        f"every admin key from it, the right one included, so the kit's calls too, for up to "
        f"{wait}: every test that asks for `localexa` until then fails here. To test that budget, "
        f"spend it on a server of its own (`with LocalexaServer(env={{...}}) as server:` in that "
        f"test), or send the wrong keys from another address (on Linux, a client with "
        f'transport=httpx.HTTPTransport(local_address="127.0.0.2")): the next reset then empties it.'
    )
