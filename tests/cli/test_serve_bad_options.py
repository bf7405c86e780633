"""`localexa serve` and `localexa ca` with option values that cannot work: one clear line and a
non-zero exit, never a traceback. Usage errors (a value that is wrong on its face) exit 2; a
server that cannot start (a data dir it cannot use, a database it cannot reach) exits non-zero
with one line saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

from localexa.cli.main import app
from localexa.testing.ports import free_port_block
from tests.cli.conftest import CLEAN_ENV
from tests.servers import closed_port

SERVE_ENV: dict[str, str | None] = {
    **CLEAN_ENV,
    **{
        name: None
        for name in (
            "LOCALEXA_HOST",
            "LOCALEXA_PORT",
            "LOCALEXA_DATABASE_URL",
            "LOCALEXA_DEMO",
            "LOCALEXA_TLS",
            "LOCALEXA_OUTBOUND_CA_FILE",
            "LOCALEXA_LOG_LEVEL",
        )
    },
}


class WouldStart(Exception):
    """Raised where `run_server` would begin building the server: the test fails, not hangs."""


@pytest.fixture(autouse=True)
def never_start(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise WouldStart

    monkeypatch.setattr("localexa.cli.serve_run.pause_collection_for_startup", refuse)


def flat(text: str) -> str:
    """`text` without the frame and line breaks of Typer's error box, to search in."""
    return " ".join(text.replace("│", " ").split())


def serve(*args: str, data_dir: Path) -> Result:
    return CliRunner().invoke(app, ["serve", "--no-demo", "--data-dir", str(data_dir), *args], env=SERVE_ENV)


def assert_refused(result: Result, code: int, *words: str) -> None:
    context = (result.exit_code, result.stdout, result.stderr)
    assert result.exception is None or isinstance(result.exception, SystemExit), (*context, result.exception)
    assert result.exit_code == code, context
    assert "Traceback" not in result.stdout + result.stderr
    for word in words:
        assert word in flat(result.stderr), context


@pytest.mark.parametrize(
    ("args", "words"),
    [
        pytest.param(["--port", "70000"], ["--port", "65535"], id="port-above-65535"),
        pytest.param(["--port", "-1"], ["--port"], id="port-negative"),
        pytest.param(["--port", "0"], ["--port"], id="port-0"),  # EU and FE would be 1 and 2
        pytest.param(["--port", "65534"], ["--port", "65536"], id="fe-port-above-65535"),
        pytest.param(["--port", "eighty"], ["--port"], id="port-not-a-number"),
        pytest.param(["--log-level", "loud"], ["--log-level", "'loud'"], id="log-level"),
        pytest.param(["--database-url", "mysql://u:pw@h/db"], ["--database-url", "'mysql'"], id="db-scheme"),
        pytest.param(["--database-url", "not a url"], ["--database-url"], id="db-not-a-url"),
        # libpq's defaults filled these in: this machine's server, a database named after the user.
        pytest.param(
            ["--database-url", "postgresql+asyncpg://"], ["--database-url", "no host"], id="db-empty"
        ),
        pytest.param(
            ["--database-url", "postgresql+asyncpg://u@127.0.0.1"], ["no database"], id="db-no-database"
        ),
        pytest.param(
            ["--database-url", "postgresql+asyncpg://u@127.0.0.1:99999/db"], ["99999"], id="db-port"
        ),
        pytest.param(["--outbound-ca-file", "/no/such.pem"], ["--outbound-ca-file"], id="ca-missing"),
        pytest.param(["--stop-grace", "0"], ["--stop-grace", "give 0.1 to 600"], id="stop-grace-0"),
        pytest.param(["--stop-grace", "601"], ["--stop-grace", "give 0.1 to 600"], id="stop-grace-huge"),
        pytest.param(["--stop-grace", "inf"], ["--stop-grace"], id="stop-grace-inf"),
        pytest.param(["--stop-grace", "nan"], ["--stop-grace"], id="stop-grace-nan"),
    ],
)
def test_bad_values_are_usage_errors(tmp_path: Path, args: list[str], words: list[str]) -> None:
    assert_refused(serve(*args, data_dir=tmp_path / "data"), 2, *words)
    assert not (tmp_path / "data").exists()  # refused before anything was made


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        pytest.param("LOCALEXA_MAX_BODY_BYTES", "abc", ["integer"], id="body-cap-not-a-number"),
        pytest.param("LOCALEXA_MAX_BODY_BYTES", "-5", ["greater than 0"], id="body-cap-negative"),
        pytest.param("LOCALEXA_DIRECTIVE_TIMEOUT", "xyz", ["number"], id="directive-timeout"),
        pytest.param("LOCALEXA_RATE_LIMIT", "garbage", ["not a rate limit"], id="rate-limit-garbage"),
        pytest.param("LOCALEXA_RATE_LIMIT", "0/minute", ["allows no call"], id="rate-limit-zero"),
        pytest.param("LOCALEXA_EU_PORT", "70000", ["65535"], id="eu-port"),
        # Leases past any date: every follow-up or run then failed with an OverflowError.
        pytest.param("LOCALEXA_AFTER_LINK_LEASE_SECONDS", "1e12", ["86400"], id="after-link-lease-huge"),
        pytest.param("LOCALEXA_EVALUATION_LEASE_SECONDS", "1e12", ["86400"], id="evaluation-lease-huge"),
        # Taken (QA, 2026-12-07): a deferred answer that never came would hold its run, and its
        # endpoint's 409, for ever.
        pytest.param("LOCALEXA_EVALUATION_CASE_TIMEOUT", "inf", ["86400"], id="case-timeout-inf"),
        pytest.param("LOCALEXA_EVALUATION_CASE_TIMEOUT", "1e12", ["86400"], id="case-timeout-huge"),
        # Taken without a word, and the journal then kept one entry (QA of 2026-12-06).
        pytest.param(
            "LOCALEXA_JOURNAL_RETENTION",
            "-1",
            ["greater than or equal to 1"],
            id="journal-retention-negative",
        ),
        pytest.param(
            "LOCALEXA_JOURNAL_RETENTION", "0", ["greater than or equal to 1"], id="journal-retention-zero"
        ),
        pytest.param(
            "LOCALEXA_JOURNAL_RETENTION", "1e30", ["integer"], id="journal-retention-not-an-integer"
        ),
        pytest.param("LOCALEXA_JOURNAL_RETENTION", "100000001", ["100000000"], id="journal-retention-huge"),
        # Started, and every password hash then failed (scrypt: "n must be a power of 2", "memory
        # limit exceeded").
        pytest.param("LOCALEXA_PASSWORD_HASH_N", "1025", ["power of two"], id="hash-cost-not-a-power-of-two"),
        pytest.param("LOCALEXA_PASSWORD_HASH_N", "32768", ["16384"], id="hash-cost-too-large"),
        # An empty key (a script's unset variable) ran the server on it, every hash keyed by nothing.
        pytest.param("LOCALEXA_SECRET_KEY", "", ["must not be empty"], id="secret-key-empty"),
        pytest.param("LOCALEXA_ADMIN_KEY", "  ", ["must not be empty"], id="admin-key-blank"),
        # Keys no client can send: every admin call was then a 401 (HTTP trims a header's outer
        # spaces; curl sends UTF-8 where the server reads Latin-1).
        pytest.param("LOCALEXA_ADMIN_KEY", " spaced key ", ["printable ASCII"], id="admin-key-outer-spaces"),
        pytest.param("LOCALEXA_ADMIN_KEY", "clé-ünï", ["printable ASCII"], id="admin-key-not-ascii"),
        pytest.param("LOCALEXA_ADMIN_KEY", "a\tb", ["printable ASCII"], id="admin-key-tab"),
        pytest.param("LOCALEXA_STOP_GRACE", "1000", ["--stop-grace", "give 0.1 to 600"], id="stop-grace-env"),
    ],
)
def test_bad_environment_values_are_usage_errors_naming_the_variable(
    tmp_path: Path, variable: str, value: str, words: list[str]
) -> None:
    """Variables with no option are checked by Settings alone: a bad one was a pydantic traceback
    (or, for `-5` and `0/minute`, a server that refused every call)."""
    result = CliRunner().invoke(
        app, ["serve", "--no-demo", "--data-dir", str(tmp_path / "data")], env={**SERVE_ENV, variable: value}
    )
    assert_refused(result, 2, variable, *words)
    assert not (tmp_path / "data").exists()


def test_log_level_trace_works_before_uvicorn_is_imported() -> None:
    """`--log-level trace` is documented; the level is uvicorn's and was unknown until uvicorn was
    imported, which `serve` does after setting up logging: "Unknown level: 'TRACE'"."""
    script = (
        "import logging, sys\n"
        "from localexa.server.observe.logging_setup import configure_logging\n"
        "assert 'uvicorn' not in sys.modules\n"
        "configure_logging('trace')\n"
        "print(logging.getLogger().level)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"


def test_a_ca_file_with_no_certificate_is_a_usage_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n\xff")
    result = serve("--outbound-ca-file", str(junk), "--tls", data_dir=tmp_path / "data")
    assert_refused(result, 2, "--outbound-ca-file", "no PEM certificate")


def test_the_database_password_is_not_printed(tmp_path: Path) -> None:
    result = serve("--database-url", "mysql://user:hunter2-SECRET@db/x", data_dir=tmp_path)
    assert_refused(result, 2)
    assert "SECRET" not in result.stdout + result.stderr


@pytest.mark.parametrize("kind", ["a-file", "under-a-file"])
def test_a_data_dir_that_cannot_be_used_is_one_line(tmp_path: Path, kind: str) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    data_dir = a_file if kind == "a-file" else a_file / "data"
    result = serve("--port", str(free_port_block()), data_dir=data_dir)
    assert_refused(result, 1, "cannot use the data directory", str(data_dir))
    assert len(result.stderr.strip().splitlines()) == 1
    if kind == "a-file":  # it said mkdir's "File exists"
        assert f"{data_dir}: it is a file, not a directory." in result.stderr, result.stderr


@pytest.mark.parametrize("name", ["admin-key", "secret-key"])
def test_an_empty_key_file_is_one_line_not_an_empty_key(tmp_path: Path, name: str) -> None:
    """An empty `admin-key` made every admin call a 401; an empty `secret-key` keyed every hash
    and seal by nothing (QA of 2026-12-05). Nothing is written over it."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / name).write_text("\n")
    result = serve("--port", str(free_port_block()), data_dir=data_dir)
    assert_refused(result, 1, "cannot use the data directory", f"{name} is empty")
    assert len(result.stderr.strip().splitlines()) == 1
    assert (data_dir / name).read_text() == "\n"


def test_an_admin_key_file_no_client_can_send_is_one_line(tmp_path: Path) -> None:
    """Checked as LOCALEXA_ADMIN_KEY is: `clé` in the file started a server every admin call
    of which was a 401."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "admin-key").write_text("clé\n")
    result = serve("--port", str(free_port_block()), data_dir=data_dir)
    assert_refused(result, 1, "cannot use the data directory", "admin-key", "printable ASCII")


def test_a_key_file_is_made_where_no_hard_link_can_be(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vfat, some network mounts: the link fails with EPERM, the key is created in place."""
    from localexa.server.settings import Settings

    def no_links(_source: object, _target: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr("localexa.server.settings.os.link", no_links)
    key = Settings(data_dir=tmp_path / "data").resolved_secret_key()
    assert (tmp_path / "data" / "secret-key").read_text().strip().encode() == key
    assert Settings(data_dir=tmp_path / "data").resolved_secret_key() == key
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret-key"]


def test_a_new_key_file_is_whole_and_the_first_process_key_wins(tmp_path: Path) -> None:
    """Written aside and linked into place: no empty file after an interrupted start, and two
    starts at once read one key (the second one's link fails and it reads the first's)."""
    from localexa.server.settings import Settings

    first = Settings(data_dir=tmp_path / "data").resolved_secret_key()
    second = Settings(data_dir=tmp_path / "data").resolved_secret_key()
    assert first == second
    assert len(first) >= 40
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["secret-key"]  # nothing left aside
    assert oct((tmp_path / "data" / "secret-key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ("file", "{tmp}/file is a file, not a directory"),
        ("file/data", "{tmp}/file is a file, so {tmp}/file/data cannot be a directory under it"),
        ("has-tls-file", "{tmp}/has-tls-file/tls is a file, not a directory"),
    ],
)
def test_ca_with_a_data_dir_that_is_a_file_is_a_usage_error_saying_so(
    tmp_path: Path, where: str, says: str
) -> None:
    """It said mkdir's "cannot keep the CA in …/tls: File exists" with exit 1 (cliq QA of
    2026-12-07): a --data-dir that cannot be one is a bad value, exit 2, as other bad paths."""
    (tmp_path / "file").write_text("")
    (tmp_path / "has-tls-file").mkdir()
    (tmp_path / "has-tls-file" / "tls").write_text("")
    for args in (["ca", "--data-dir", str(tmp_path / where)], ["--data-dir", str(tmp_path / where), "ca"]):
        result = CliRunner().invoke(app, args, env=SERVE_ENV)
        assert_refused(result, 2, "Invalid value for --data-dir:", says.format(tmp=tmp_path))
        assert "File exists" not in result.stderr
        assert result.stdout == ""


def serve_process(tmp_path: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    """`localexa serve` in a real process (start-up runs in uvicorn's lifespan) on `database_url`."""
    command = [sys.executable, "-m", "localexa", "serve", "--no-demo", "--port", str(free_port_block())]
    command += ["--data-dir", str(tmp_path), "--database-url", database_url]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )


def test_an_unreachable_postgresql_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    """A real process: start-up runs in uvicorn's lifespan, which logged Starlette's traceback."""
    with closed_port() as closed:
        done = serve_process(tmp_path, f"postgresql+asyncpg://postgres:pw-SECRET@127.0.0.1:{closed}/nothing")
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert 'File "' not in done.stderr
    # The database and its address, without user and password (since 2026-12-06: the error's type only).
    where = f"postgresql+asyncpg://127.0.0.1:{closed}/nothing"
    assert f"cannot start: the database at {where} cannot be reached (ConnectionRefusedError" in done.stderr
    assert "SECRET" not in done.stdout + done.stderr


def test_a_database_that_does_not_exist_is_named_in_the_one_line(tmp_path: Path) -> None:
    """SQLAlchemy ends a database error with "(Background on this error at: https://sqlalche.me/…)":
    that line was all the one-line report said."""
    server = os.environ.get("LOCALEXA_TEST_DATABASE_URL")
    if not server:
        pytest.skip("needs a PostgreSQL server (LOCALEXA_TEST_DATABASE_URL)")
    missing = str(make_url(server).set(database="localexa_no_such_database").render_as_string(False))
    done = serve_process(tmp_path, missing)
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    [line] = [line for line in done.stderr.splitlines() if "cannot start:" in line]
    assert "localexa_no_such_database" in line, line
    assert "does not exist" in line, line
    assert "sqlalche.me" not in done.stderr


def test_the_root_data_dir_option_counts_for_serve_and_ca(tmp_path: Path) -> None:
    """`localexa --data-dir X serve` served from ./.localexa (QA of 2026-12-05): the README lists
    `--data-dir` among the root options. The command's own option still wins."""
    root, own = tmp_path / "root", tmp_path / "own"
    runner = CliRunner()
    result = runner.invoke(app, ["--data-dir", str(root), "serve", "--no-demo"], env=SERVE_ENV)
    assert isinstance(result.exception, WouldStart), (result.exit_code, result.output)
    assert (root / "admin-key").is_file()
    result = runner.invoke(
        app, ["--data-dir", str(root / "x"), "serve", "--no-demo", "--data-dir", str(own)], env=SERVE_ENV
    )
    assert isinstance(result.exception, WouldStart), result.output
    assert (own / "admin-key").is_file()
    assert not (root / "x").exists()
    # The root's option beats LOCALEXA_DATA_DIR, which the command also reads (admin commands
    # would read the root's key while the server used the variable's directory).
    env_dir, cli_dir = tmp_path / "from-env", tmp_path / "from-cli"
    result = runner.invoke(
        app,
        ["--data-dir", str(cli_dir), "serve", "--no-demo"],
        env={**SERVE_ENV, "LOCALEXA_DATA_DIR": str(env_dir)},
    )
    assert isinstance(result.exception, WouldStart), result.output
    assert (cli_dir / "admin-key").is_file()
    assert not env_dir.exists()
    ca = runner.invoke(app, ["--data-dir", str(tmp_path / "ca-root"), "ca"], env=SERVE_ENV)
    assert ca.exit_code == 0, ca.output
    assert (tmp_path / "ca-root" / "tls" / "ca.pem").is_file()


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        pytest.param("localexa_client_timeout", "inf", ["'inf'", "finite"], id="lower-case"),
        pytest.param("Localexa_Port", "70000", ["65535"], id="mixed-case"),
    ],
)
def test_an_option_variable_is_read_in_any_case(
    tmp_path: Path, name: str, value: str, words: list[str]
) -> None:
    """README: "Variable names are read in any case". pydantic-settings reads its settings so, and
    the command line's options took theirs in upper case only: `localexa_data_dir=…` served from
    ./.localexa without a word (readme37a F1)."""
    result = CliRunner().invoke(
        app, ["serve", "--no-demo", "--data-dir", str(tmp_path)], env={**SERVE_ENV, name: value}
    )
    assert_refused(result, 2, *words)


def test_an_option_variable_in_upper_case_wins_over_another_case(tmp_path: Path) -> None:
    env = {**SERVE_ENV, "localexa_client_timeout": "inf", "LOCALEXA_CLIENT_TIMEOUT": "2"}
    result = CliRunner().invoke(app, ["serve", "--no-demo", "--data-dir", str(tmp_path)], env=env)
    assert isinstance(result.exception, WouldStart), (result.exit_code, result.stderr)


@pytest.mark.parametrize("value", ["61", "-1", "soon", "nan"])
def test_a_force_stop_wait_out_of_range_is_a_usage_error(tmp_path: Path, value: str) -> None:
    """`LOCALEXA_FORCE_STOP_SECONDS` (0 to 60) out of range was replaced by 1 s without a word,
    where every other setting out of range exits 2 (readme37a F2)."""
    env = {**SERVE_ENV, "LOCALEXA_FORCE_STOP_SECONDS": value}
    result = CliRunner().invoke(app, ["serve", "--no-demo", "--data-dir", str(tmp_path)], env=env)
    assert_refused(result, 2, "LOCALEXA_FORCE_STOP_SECONDS", "0 to 60")
