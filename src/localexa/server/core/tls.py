"""A local certificate authority and the server certificate it signs (`serve --tls`, issue 10).

Amazon's Python runtime refuses plain HTTP ("Requests against non-HTTPS endpoints are not
allowed.", spec alexa-api-surface.md §6, observed notes), so localexa can speak HTTPS with a
certificate that clients trust through one file, the local CA. Files in `<data dir>/tls/`:

    ca.pem              the CA certificate: public, the one file clients trust
    ca-key.pem          its private key, mode 0600
    server.pem          the server certificate (localhost, 127.0.0.1, ::1, Amazon's host names)
    server-key.pem      its private key, mode 0600
    outbound-trust.pem  what the server's own outbound calls trust: the user's CA file + ca.pem

Everything is built with cryptography's x509 builder (no openssl subprocess). The profile follows
RFC 5280 §4.2 and the rules Apple applies to locally trusted server certificates (HT210176: names
in subjectAltName, extendedKeyUsage serverAuth, validity at most 825 days), so phones accept it.
The CA is kept across runs; the server certificate is issued again when fewer than 30 days remain,
when the CA changed, or when a wanted name is missing. Times are the wall clock, never localexa's
movable clock, because TLS clients check certificates against the wall clock.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import ssl
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: Every name the server certificate covers: loopback, and the Amazon hosts localexa plays
#: (DESIGN.md host table), so a hosts-file entry or a proxy pointing them here verifies too.
SERVER_NAMES: tuple[str, ...] = (
    "localhost",
    "127.0.0.1",
    "::1",
    "www.amazon.com",
    "api.amazon.com",
    "api.amazonalexa.com",
    "api.eu.amazonalexa.com",
    "api.fe.amazonalexa.com",
    "api.fe.amazon.com",  # the FE host as the Skill Enablement reference page spells it
    "credential-locker-service.amazon.com",
)
CA_VALIDITY = timedelta(days=3650)
#: Below Apple's 825-day ceiling for locally trusted server certificates (HT210176).
SERVER_VALIDITY = timedelta(days=397)
RENEW_BEFORE = timedelta(days=30)
#: Backdate `notBefore` a little so a client whose clock lags still accepts a fresh certificate.
CLOCK_SKEW = timedelta(hours=1)

IssuerKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class TlsPaths:
    """Where the CA and the server certificate live inside one TLS directory."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "server-key.pem"

    @property
    def outbound_bundle_file(self) -> Path:
        return self.directory / "outbound-trust.pem"


def tls_dir(data_dir: Path) -> Path:
    """The TLS directory of a data directory."""
    return data_dir / "tls"


def ensure_ca(directory: Path, *, now: datetime | None = None) -> TlsPaths:
    """Create the CA in `directory` unless a usable one is there; return the paths."""
    paths = TlsPaths(directory)
    with _locked(directory):
        _ensure_ca(paths, _now(now))
    return paths


def ensure_server_certificate(
    directory: Path, *, names: Iterable[str] = (), now: datetime | None = None
) -> TlsPaths:
    """Make sure `server.pem` is signed by the current CA, covers SERVER_NAMES plus `names`, and
    has at least RENEW_BEFORE left; issue a new one otherwise."""
    paths = TlsPaths(directory)
    wanted = list(dict.fromkeys([*SERVER_NAMES, *(n.lower() for n in names)]))
    moment = _now(now)
    with _locked(directory):
        ca_cert, ca_key = _ensure_ca(paths, moment)
        current = _load_pair(paths.cert_file, paths.key_file)
        if current is None or needs_renewal(current[0], ca_cert, wanted, moment):
            key = ec.generate_private_key(ec.SECP256R1())
            cert = issue_server_certificate(ca_cert, ca_key, key, wanted, now=moment)
            _write(paths.key_file, _private_pem(key), mode=0o600)
            _write(paths.cert_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
        else:
            paths.key_file.chmod(0o600)
    return paths


def needs_renewal(
    cert: x509.Certificate, ca_cert: x509.Certificate, names: Iterable[str], now: datetime
) -> bool:
    """True when `cert` expires within RENEW_BEFORE, is not yet valid, was not signed by
    `ca_cert`, or lacks one of `names` in its subjectAltName."""
    if cert.not_valid_after_utc - now < RENEW_BEFORE or cert.not_valid_before_utc > now:
        return True
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):  # signed by another CA (or another key type)
        return True
    return not set(_general_names(names)) <= set(_san(cert))


def issue_server_certificate(
    ca_cert: x509.Certificate,
    ca_key: IssuerKey,
    key: ec.EllipticCurvePrivateKey,
    names: Iterable[str],
    *,
    now: datetime | None = None,
    validity: timedelta = SERVER_VALIDITY,
) -> x509.Certificate:
    """A TLS server certificate for `names` (DNS names or IP addresses), signed by the CA."""
    moment = _now(now)
    general = _general_names(names)
    first = general[0].value
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, str(first))]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(moment - CLOCK_SKEW)
        .not_valid_after(moment + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(general), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
    )
    return builder.sign(ca_key, hashes.SHA256())


def client_ssl_context(data_dir: Path) -> ssl.SSLContext:
    """An SSL context that trusts exactly localexa's CA in `data_dir` (created when missing),
    for tests and the testing kit talking to `serve --tls`."""
    paths = ensure_ca(tls_dir(data_dir))
    return ssl.create_default_context(cafile=str(paths.ca_file))


def outbound_trust_bundle(directory: Path, user_ca_file: Path | None) -> Path:
    """Write `outbound-trust.pem`: the user's CA file (if any) followed by localexa's own CA,
    so the server's outbound calls reach skill endpoints signed by either."""
    paths = ensure_ca(directory)
    if user_ca_file is not None and user_ca_file.resolve() == paths.outbound_bundle_file.resolve():
        return user_ca_file  # settings prepared twice: the bundle is already made, do not nest it
    parts = [user_ca_file.read_bytes().rstrip() + b"\n"] if user_ca_file is not None else []
    parts.append(paths.ca_file.read_bytes())
    _write(paths.outbound_bundle_file, b"".join(parts), mode=0o644)
    return paths.outbound_bundle_file


def fingerprint_sha256(cert_file: Path) -> str:
    """The SHA-256 fingerprint as phones and browsers show it (AB:CD:...)."""
    cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


# -- the CA -------------------------------------------------------------------------------------


def _ensure_ca(paths: TlsPaths, now: datetime) -> tuple[x509.Certificate, IssuerKey]:
    loaded = _load_pair(paths.ca_file, paths.ca_key_file)
    if loaded is not None and _usable_ca(loaded[0], now):
        paths.ca_key_file.chmod(0o600)
        return loaded
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _build_ca(key, now)
    # Key first: a crash between the two writes leaves a mismatched pair, which is replaced.
    _write(paths.ca_key_file, _private_pem(key), mode=0o600)
    _write(paths.ca_file, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    return cert, key


def _usable_ca(cert: x509.Certificate, now: datetime) -> bool:
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return False
    return constraints.ca and cert.not_valid_after_utc - now >= RENEW_BEFORE


def _build_ca(key: ec.EllipticCurvePrivateKey, now: datetime) -> x509.Certificate:
    host = socket.gethostname() or "localhost"
    # A random suffix tells several localexa CAs apart in one trust store (as mkcert does).
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "localexa development CA"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, host[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, f"localexa CA {secrets.token_hex(4)}"),
        ]
    )
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + CA_VALIDITY)
        # pathLen 0: this CA signs server certificates only, never another CA.
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


# -- helpers ------------------------------------------------------------------------------------


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _general_names(names: Iterable[str]) -> list[x509.GeneralName]:
    result: list[x509.GeneralName] = []
    for name in names:
        try:
            result.append(x509.IPAddress(ipaddress.ip_address(name.strip("[]"))))
        except ValueError:
            result.append(x509.DNSName(name.lower()))
    return result


def _san(cert: x509.Certificate) -> list[x509.GeneralName]:
    try:
        return list(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        return []


def _load_pair(cert_file: Path, key_file: Path) -> tuple[x509.Certificate, IssuerKey] | None:
    """The certificate and its key, or None when either is missing, unreadable or they differ."""
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(*spki) != key.public_key().public_bytes(*spki):
        return None
    return cert, key


def _private_pem(key: IssuerKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, *, mode: int) -> None:
    """Write through a temporary file created with `mode`, then rename: a reader never sees a half
    file, and a private key is never readable by others, not even for a moment."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, mode)  # the umask may have removed bits we want (0644)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialize creation between processes sharing a data dir (several servers, `localexa ca`)."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)  # tls/ holds the CA's private key
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; creation races are then the user's
        yield
        return
    with open(directory / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)
