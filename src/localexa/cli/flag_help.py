"""Flags in help without a value: Typer 0.29's Rich help gives every option the metavar of its
type, so a flag read `--json <bool>`, `--quiet -q <bool>`, `--help <bool>` (review 36b), and a
user who wrote `--json true` as the help read got a usage error. Typer's plain help already
leaves a flag's (and a counter's) value out; this makes the Rich help do the same.

Typer builds its options itself (from annotations, and `--help` per command), so there is no
class of ours to give them: `install()` wraps `TyperOption.display_type_rich` once, in the CLI
process only (group.py imports it), and leaves every option that takes a value as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer import _click as click  # Typer ships its own Click; its classes live here
from typer.core import TyperOption

__all__ = ["install"]

_Display = Callable[[TyperOption, click.Context], "str | None"]


def install() -> None:
    """Show no metavar for flags and counters in Rich help; a second call changes nothing."""
    current: Any = getattr(TyperOption, "display_type_rich", None)
    if current is None or getattr(current, "_localexa_flags", False):
        return  # a Typer without the hook shows help as it does: never a CLI that cannot start
    original: _Display = current

    def display_type_rich(self: TyperOption, ctx: click.Context) -> str | None:
        # An explicit metavar is the command's own choice; a flag's type name (`<bool>`) is not.
        if self.metavar is None and (self.is_flag or self.count):
            return None
        return original(self, ctx)

    display_type_rich._localexa_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]
