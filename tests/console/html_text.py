"""A console page's HTML as the text a user reads, for tests that look for a path in it."""

from __future__ import annotations


def shown(html: str) -> str:
    """`html` without the `<wbr>` break opportunities a path carries after each "/" since
    2026-12-06 (they add no text: the path is what a user reads and copies)."""
    return html.replace("<wbr>", "")
