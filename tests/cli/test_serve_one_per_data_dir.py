"""One `localexa serve` per data directory (cli/serve_lock.py): a second process started on a
data directory another one serves is refused with one line naming the holder, exit 1; it started
silently, and the two kept separate caches over one SQLite file. A process killed with SIGKILL
leaves no lock behind: the next start on its data directory serves. A data directory the lock
cannot be taken in (read-only, a filesystem without locks) is served unguarded, with a warning."""

from __future__ import annotations

import secrets
from pathlib import Path

from localexa.cli.serve_lock import LOCK_FILE
from tests.scale.processes import ServerProcess


def test_a_second_serve_on_a_served_data_dir_is_refused_until_the_first_is_gone(tmp_path: Path) -> None:
    env = {"LOCALEXA_SECRET_KEY": secrets.token_urlsafe(32)}
    key = secrets.token_urlsafe(16)
    first = ServerProcess(tmp_path / "data", key, env).start()
    second = ServerProcess(tmp_path / "data", key, env)
    second.log_path = tmp_path / "second.log"
    try:
        assert first.process is not None
        second.launch()
        assert second.process is not None
        assert second.process.wait(60) == 1
        said = second.log()
        assert (
            f"localexa: cannot start: another localexa serve (pid {first.process.pid}) is serving the "
            f"data directory {tmp_path / 'data'}." in said
        ), said
        assert "Traceback" not in said
        with first.client() as http:  # the first goes on serving
            assert http.get("/_localexa/health").status_code == 200
        first.kill()
        second.start()  # the killed holder's lock went with it
        with second.client() as http:
            assert http.get("/_localexa/health").status_code == 200
    finally:
        first.stop()
        second.stop()


def test_a_data_dir_the_lock_cannot_be_made_in_is_served_with_a_warning(tmp_path: Path) -> None:
    """As a read-only data directory (its keys already there) served before the lock existed: the
    lock file cannot be opened (here a directory stands in its way; root writes anywhere)."""
    (tmp_path / "data" / LOCK_FILE).mkdir(parents=True)
    env = {"LOCALEXA_SECRET_KEY": secrets.token_urlsafe(32)}
    served = ServerProcess(tmp_path / "data", secrets.token_urlsafe(16), env)
    try:
        served.start()
        with served.client() as http:
            assert http.get("/_localexa/health").status_code == 200
    finally:
        served.stop()
    said = served.log()
    assert (
        f"localexa: warning: cannot lock the data directory ({tmp_path / 'data' / LOCK_FILE}: "
        "Is a directory); a second localexa serve on it would not be refused." in said
    ), said
