"""`localexa admin snapshot [-o FILE [--force]]`: the whole state (but the journal) as one JSON
document, for `admin restore`.

With `-o FILE` the answer goes to the file as it arrives (`client.admin.snapshot_to`): a big
server's snapshot (85 MB for 200,000 tokens) was parsed whole and written pretty-printed, which
took several times its size in memory. It is written beside FILE, owner-only, and renamed over it
only once whole and a localexa snapshot: an answer cut short, or one that is no snapshot, exits
non-zero and leaves FILE as it was. A device or a pipe (`-o /dev/stdout`) is written in place.
Without `-o`, the document is printed indented, as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from localexa.cli.context import state
from localexa.cli.snapshot_file import refuse_to_replace


def snapshot(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Write here (default: stdout); replaces only an empty file or a snapshot."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --output even when it is not a localexa snapshot.")
    ] = False,
) -> None:
    """The whole state (but the journal) as one JSON document, for `restore`."""
    cli = state(ctx)
    if output is None:
        with cli.client(admin=True) as client:
            document = client.admin.snapshot()
        typer.echo(json.dumps(document, indent=2))
        return
    if not force:
        refuse_to_replace(output)
    try:
        with cli.client(admin=True) as client:
            written = client.admin.snapshot_to(output)
    except OSError as exc:  # a directory, a missing folder, no permission: say so, no traceback
        reason = exc.strerror or str(exc)
        raise typer.BadParameter(f"cannot write {output}: {reason}", param_hint="--output") from None
    typer.echo(f"wrote {output} ({written.bytes} bytes)", err=True)
