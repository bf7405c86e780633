"""The file of `localexa admin snapshot -o FILE`: what it may replace. How it is written (owner-only,
beside FILE then renamed over it, as the answer arrives) is the client's `snapshot_to`
(client/resources/snapshot_writer.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer

__all__ = ["SNAPSHOT_FORMAT", "refuse_to_replace"]

#: A snapshot's start, as localexa writes it (`format` first) or an older CLI did (indented).
_SNAPSHOT_START = re.compile(r'\s*\{\s*"format"\s*:\s*"localexa\.snapshot"')
#: How much of FILE is read to find that start.
_START_CHARS = 128


#: The `format` of a snapshot document (shared/spec/admin-api.md).
SNAPSHOT_FORMAT = "localexa.snapshot"


def refuse_to_replace(path: Path) -> None:
    """`-o FILE` replaces FILE only when it is empty or a localexa snapshot: pointed at the data
    directory's admin-key (or any file) by mistake, it replaced it (QA of 2026-12-06). Devices
    and FIFOs (`/dev/stdout`) hold nothing to lose and are written as before."""
    if not path.is_file():
        return
    try:
        with path.open(encoding="utf-8") as file:
            # A snapshot says so at its start: an 85 MB one was read and parsed whole (several
            # times its size in memory) to check it. Only a file that starts otherwise is parsed.
            if _SNAPSHOT_START.match(file.read(_START_CHARS)):
                return
            file.seek(0)
            text = file.read()
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
