"""The tiny login + consent page of My Lights' `/authorize` (and its error page)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>My Lights: sign in</title>
<style>body{{font-family:sans-serif;max-width:24rem;margin:3rem auto}}label{{display:block;margin:.5rem 0}}
.error{{color:#b00}}</style></head>
<body><h1>My Lights</h1>
{body}
</body></html>"""


def login_page(params: Mapping[str, str], error: str | None = None) -> str:
    """The form: the authorization request rides along in hidden fields."""
    hidden = "\n".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in params.items() if v
    )
    scope = escape(params.get("scope", ""))
    problem = f'<p class="error">{escape(error)}</p>' if error else ""
    body = f"""<p><strong>{escape(params.get("client_id", ""))}</strong> asks to control your lights
(scope: {scope}).</p>
{problem}
<form method="post" action="authorize">
{hidden}
<label>Username <input name="username" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button name="decision" value="allow">Sign in and allow</button>
<button name="decision" value="deny" formnovalidate>Deny</button>
</form>"""
    return _PAGE.format(body=body)


def error_page(message: str) -> str:
    return _PAGE.format(body=f'<p class="error">{escape(message)}</p>')
