"""URLs whose user info holds a password that every parser splits somewhere else: an unescaped
`#`, `?` or `/` ends the authority early (`http://me:sekrit#hush@host` is the host `me`, port
`sekrit`), a scheme with one slash or none, no scheme, scheme-relative, an `@` look-alike, a
host no client takes. Shared by the skill kit's, the Python client's and the CLI's tests: the
password's text (`sekrit`, and `hush` after the character that splits it) must never be shown
(re-verification E1 of the night of 2026-12-06: `'http://me:pa#ss@127.0.0.1:18400'` in the
kit's log)."""

from __future__ import annotations

#: Text of the passwords below; none of it may appear in anything shown.
SECRETS = ("sekrit", "hush")

#: `{host}` is a `127.0.0.1:port`: a test serving there sees what is sent, else the port is closed.
TEMPLATES = [
    "http://me:sekrit#hush@{host}",
    "http://me:sekrit#hush@{host}/",
    "http://me:sekrit?hush@{host}/",
    "http://me:sekrit/hush@{host}/",
    "http://me:sekrit@hush@{host}/",
    "http://me:sekrit:hush@{host}/",
    "http://me:sekrit\\hush@{host}/",
    "http://me:sekrit hush@{host}/",
    "http://me:sekrit\nhush@{host}/",
    "http://me:sekrit\x00hush@{host}/",
    "http://me:sekrit%hush@{host}/",
    "http://me:sekrit%23hush@{host}/",
    "http://me:sekrit[hush]@{host}/",
    "http://me:sekrit#hush@{host}/p@q",
    "http://me:sekrit?hush@{host}/?x=a@b#c@d",
    "http://me:sekrit/hush@{host}/a:b@c",
    "http://me:sekrit\uff20hush@{host}/",
    "http://me:sekrit\uff20{host}/",
    "http://me:sekrit\ufe6b{host}/",
    "http://127.0.0.1:1/sekrit/hush@{host}/",
    "http://me@you:sekrit#hush@{host}/",
    "http://:sekrit#hush@{host}/",
    "http://me:sekrit@{host}/",
    "http://me:sekrit@{host}/\udcff",
    "https://me:sekrit#hush@{host}/",
    "HTTP://me:sekrit?hush@{host}/",
    " http://me:sekrit#hush@{host}/",
    "\thttp://me:sekrit#hush@{host}/",
    "ht\ttp://me:sekrit@{host}/",
    "//me:sekrit@{host}/",
    "//me:sekrit#hush@{host}/",
    "///me:sekrit@{host}/",
    "http:/me:sekrit@{host}/",
    "http:/me:sekrit#hush@{host}/",
    "http:me:sekrit@{host}/",
    "http:\\\\me:sekrit@{host}/",
    "me:sekrit@{host}/",
    "me:sekrit#hush@{host}/",
    "foo://me:sekrit#hush@{host}/",
    "http://me:sekrit#hush@\u2603.com/",
    "http://me:sekrit?hush@a..b/",
    "http://me:sekrit/hush@127.0.0.1:99999/",
    "http://me:sekrit#hush@[::1/",
    "http://me:sekrit#hush@[::1]:1/",
]


def hostile_urls(host: str = "127.0.0.1:1") -> list[str]:
    return [template.format(host=host) for template in TEMPLATES]


def assert_hidden(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, text
