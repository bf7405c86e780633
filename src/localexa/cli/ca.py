"""`localexa ca`: where localexa's certificate authority is, and how to make clients trust it.

The CA (core/tls.py) signs the certificate `localexa serve --tls` presents. A client trusts the
server once it trusts `ca.pem`: Python `requests` (and so Amazon's ask-smapi-sdk, spec
alexa-api-surface.md §6) through `REQUESTS_CA_BUNDLE`, Python's `ssl` module (httpx, urllib)
through `SSL_CERT_FILE`, Node (ask-cli) through `NODE_EXTRA_CA_CERTS`, or the whole system.
"""

from __future__ import annotations

import errno
import shlex
from pathlib import Path
from typing import Annotated

import typer

from localexa.cli.options import data_dir_of
from localexa.server.core.tls import ensure_ca, fingerprint_sha256, tls_dir


def ca(
    ctx: typer.Context,
    data_dir: Annotated[
        Path, typer.Option(envvar="LOCALEXA_DATA_DIR", help="Where the SQLite file, keys and CA live.")
    ] = Path(".localexa"),
) -> None:
    """Print the local CA's path and how to trust it (creates the CA when missing)."""
    data_dir = data_dir_of(ctx, data_dir)
    try:
        # Made as `serve` makes it (0700: it will hold the keys and the database); made here as
        # the parent of tls/ it was 0755, and `serve` keeps an existing data dir's mode.
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        paths = ensure_ca(tls_dir(data_dir))
    except OSError as exc:
        if exc.errno in _BAD_PATH:  # the data dir (or its tls/) is a file, or not writable
            raise typer.BadParameter(_why_not(data_dir, exc), param_hint="--data-dir") from None
        # Anything else (a full disk) is no misuse of the option: one line, not a traceback.
        typer.echo(f"localexa: cannot keep the CA in {tls_dir(data_dir)}: {exc.strerror or exc}.", err=True)
        raise typer.Exit(1) from None
    typer.echo(trust_instructions(paths.ca_file.resolve()))


#: mkdir's and open's errors for a --data-dir that cannot be one: a usage error (exit 2), as any
#: other path an option names that cannot be used; `ca` said mkdir's "File exists", exit 1.
_BAD_PATH = frozenset({errno.EEXIST, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS})


def _why_not(data_dir: Path, exc: OSError) -> str:
    """What is wrong with the data dir, in words: "File exists" named no file."""
    for path in (data_dir, tls_dir(data_dir)):
        if path.is_file():
            return f"{path} is a file, not a directory: choose a directory for the CA and the server's data."
    for parent in data_dir.parents:
        if parent.is_file():
            return f"{parent} is a file, so {data_dir} cannot be a directory under it: choose another."
    return f"cannot keep the CA in {tls_dir(data_dir)}: {exc.strerror or exc}: choose a writable --data-dir."


def trust_instructions(ca_file: Path) -> str:
    """The text `localexa ca` prints: the path alone on the first line, then copyable lines."""
    quoted = shlex.quote(str(ca_file))
    return f"""{ca_file}
# SHA-256 fingerprint: {fingerprint_sha256(ca_file)}

# Python: requests and Amazon's ask-smapi-sdk (replaces certifi's list for this shell)
export REQUESTS_CA_BUNDLE={quoted}
# Python: the ssl module, httpx, urllib (replaces OpenSSL's default file for this shell)
export SSL_CERT_FILE={quoted}
# Node: ask-cli and other Node clients (added to Node's built-in list)
export NODE_EXTRA_CA_CERTS={quoted}

# To keep reaching real HTTPS sites too, trust a bundle of both instead:
#   cat "$(python -m certifi)" {quoted} > localexa-bundle.pem
#   and point REQUESTS_CA_BUNDLE / SSL_CERT_FILE at localexa-bundle.pem

# Debian/Ubuntu system trust store (the file name must end in .crt):
#   sudo cp {quoted} /usr/local/share/ca-certificates/localexa.crt && sudo update-ca-certificates
# macOS keychain:
#   sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {quoted}
# Android: copy ca.pem to the phone, then Settings > Security > Encryption & credentials >
#   Install a certificate > CA certificate (apps trust user CAs only if their network security
#   config allows it).
# iOS: send ca.pem to the phone, install the profile (Settings > General > VPN & Device
#   Management), then enable it in Settings > General > About > Certificate Trust Settings.
# Check the fingerprint above before trusting a copy that travelled."""
