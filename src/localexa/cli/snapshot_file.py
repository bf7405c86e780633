"""The file of `localexa admin snapshot -o FILE`: what it may replace, and how it is written."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import typer

__all__ = ["SNAPSHOT_FORMAT", "refuse_to_replace", "write_owner_only"]


def write_owner_only(path: Path, text: str) -> None:
    """Write `path` readable by its owner only, whatever the umask, as the data dir's files are: a
    snapshot holds password hashes and sealed secrets (it was written 0644; security QA of
    2026-12-06). A file that was there is narrowed too before it is written; a device or a pipe
    (`-o /dev/stdout`, `/dev/null`) keeps its mode: narrowed, root's `-o /dev/null` left /dev/null
    writable by root only (re-verification of 2026-12-06)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        if stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            os.fchmod(file.fileno(), 0o600)
        file.write(text)


#: The `format` of a snapshot document (shared/spec/admin-api.md).
SNAPSHOT_FORMAT = "localexa.snapshot"


def refuse_to_replace(path: Path) -> None:
    """`-o FILE` replaces FILE only when it is empty or a localexa snapshot: pointed at the data
    directory's admin-key (or any file) by mistake, it replaced it (QA of 2026-12-06). Devices
    and FIFOs (`/dev/stdout`) hold nothing to lose and are written as before."""
    if not path.is_file():
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        message = f"{path} exists and cannot be read ({reason}) to check that it is a snapshot; pass --force"
        raise typer.BadParameter(message, param_hint="--output") from None
    if not text.strip():
        return
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        document = None
    if not (isinstance(document, dict) and document.get("format") == SNAPSHOT_FORMAT):
        raise typer.BadParameter(
            f"{path} exists and is not a localexa snapshot; pass --force to replace it",
            param_hint="--output",
        )
