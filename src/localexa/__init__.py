"""localexa: the Alexa smart home cloud APIs, running on your own machine."""

from localexa import _httpx_cli

__version__ = "0.2.0"

# Before any localexa module imports httpx: its command-line client (Rich, Pygments) loads on
# first use instead of with httpx (_httpx_cli.py says what that saves).
_httpx_cli.defer()
