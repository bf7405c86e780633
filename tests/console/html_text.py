"""A console page's HTML as the text a user reads, for tests that look for a path in it."""

from __future__ import annotations

import re


def shown(html: str) -> str:
    """`html` without the `<wbr>` break opportunities a path carries after each "/" and the
    `<span class="seg">` around each piece since 2026-12-06 (they add no text: the path is what a
    user reads and copies)."""
    return re.sub(r'<span class="seg">([^<]*)</span>', r"\1", html).replace("<wbr>", "")
