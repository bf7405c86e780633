"""What the console says: messages as parts (core/message_parts.py), text shown as it is and code
shown as `<code>`.

The console's messages used to be strings whose Markdown code spans (`userId`) became `<code>`
when shown, so a name or value a user typed with two backticks in it (`/console?a`b`c=1`, a
journal filter `path=a`b`c`, a page `/console/a`b`c`) showed its middle as code (QA of
2026-12-06; escaped, so no injection, but not what was typed). Now a message is either:

- a `str`: text, every character shown as written (`{{ message | said }}` escapes it and marks
  nothing); anything a user typed may go in one;
- a `Said` (core's `Parts`, the one message type LWA's error descriptions use too): text parts,
  `Code` parts and `Sent` parts (what the user typed), built by the console with the user's names
  as data (`refused_names`), or read from a message of localexa's own wording that quotes nothing
  typed (`markdown`: the fault store's "the `userId` POST /_localexa/customers answered").

`str(said)` is the message as the JSON APIs write it (code in backticks), so the console and the
admin API keep one wording (tests/console compare them).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from fastapi import Request
from markupsafe import Markup, escape

from localexa.server.core.message_parts import Code, Part, Parts, Sent

__all__ = ["Code", "Said", "Sent", "markdown", "refused_names", "said"]

#: The console's name for a message as parts.
Said = Parts


#: A Markdown code span of localexa's own wording (`userId`, `?=…`).
_CODE_SPAN = re.compile(r"`([^`]+)`")


def markdown(message: str | Said) -> Said:
    """A message of localexa's own wording whose `…` spans are code; a `str` only when it quotes
    nothing a user typed (their backticks would be read as marks). Given as parts, only its own
    text is read: its `Code` and `Sent` parts stay as they are."""
    if isinstance(message, Said):
        return Said(tuple(mine for part in message.parts for mine in _marked(part)))
    return Said(_marked(message))


def _marked(part: Part) -> tuple[Part, ...]:
    if not isinstance(part, str):
        return (part,)
    # split() alternates the text between spans (odd indexes: a span's inside).
    pieces = _CODE_SPAN.split(part)
    return tuple(Code(piece) if i % 2 else piece for i, piece in enumerate(pieces) if piece)


def said(message: str | Said) -> Markup:
    """The templates' `said` filter: a `Said` with its code as `<code>`, a `str` as text."""
    return message.html() if isinstance(message, Said) else escape(message)


#: An empty parameter name, as the admin API names it (core/admin_route.py `_shown`).
_EMPTY_NAME: tuple[Part, ...] = ("a parameter with an empty name (", Code("?=…"), ")")


def _names(names: list[str]) -> list[Part]:
    parts: list[Part] = []
    for i, name in enumerate(names):
        parts.extend([", "] if i else [])
        parts.extend([Sent(name)] if name else _EMPTY_NAME)
    return parts


def refused_names(request: Request, accepted: frozenset[str], where: str) -> Said | None:
    """The refusal of a query parameter `where` does not take, or one given twice, worded as
    every admin GET's (core/admin_route.py `check_query`, whose message is `str()` of this one),
    each name a part of its own, or of a value that is not text (`not_text_value`); None when the
    query is fine."""
    names = [name for name, _ in request.query_params.multi_items()]
    unknown = sorted(set(names) - accepted)
    if unknown:
        what = "a parameter" if len(unknown) == 1 else "parameters"
        takes = f"it takes {', '.join(sorted(accepted))}" if accepted else "it takes none"
        return Said((*_names(unknown), f": not {what} of {where}; {takes}."))
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        return Said((*_names(repeated), ": given more than once; give each parameter once."))
    return not_text_value(request)


def not_text_value(request: Request) -> Said | None:
    """The refusal of the first query value that is not UTF-8 once its %XX escapes are decoded
    (`%ff`, or the unpaired surrogate `%ED%A0%80`), naming its parameter as a refused form value
    is named; None when every value is text.

    Starlette decodes the query with replacement, so `?caller=%ff` reached a page as U+FFFD: a
    filter that matched nothing, shown back as if typed ("No run �"), where the console's forms
    refuse the same bytes (render.py `UNREADABLE_FORM`). A U+FFFD the user typed (`%EF%BF%BD`) is
    text like any other."""
    if not any("\ufffd" in value for _, value in request.query_params.multi_items()):
        return None  # only a replaced escape becomes U+FFFD: the raw query is read again only then
    raw = request.scope.get("query_string", b"").decode("latin-1")  # ASCII (core/request_guard.py)
    for name, value in parse_qsl(raw, keep_blank_values=True, encoding="latin-1"):
        try:
            value.encode("latin-1").decode("utf-8")
        except UnicodeDecodeError:
            shown = name.encode("latin-1").decode("utf-8", "replace")
            return Said((*_names([shown]), f": {NOT_TEXT}"))
    return None


#: Why a query value that is not text is refused (after its parameter's name).
NOT_TEXT = (
    "not text: its %XX escapes decode to bytes that are not UTF-8 or to an unpaired UTF-16 "
    "surrogate (such as %ED%A0%80). Give the value as UTF-8 text."
)
