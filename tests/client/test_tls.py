"""`ca_file=` (or a path as `verify=`) reaches an HTTPS localexa whose certificate a local CA signed,
as `serve --tls` makes it (admin-api.md). A real HTTPS server on 127.0.0.1 in a thread."""

from __future__ import annotations

import http.server
import re
import ssl
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from localexa.client import DEFAULT_TIMEOUT, APIConnectionError, AsyncClient, Client, ConfigurationError


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca_and_server(directory: Path) -> tuple[Path, Path, Path]:
    """A CA certificate, and a server certificate for 127.0.0.1 that it signed (RFC 5280 profile)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test CA"))
        .issuer_name(_name("test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = (
        directory / "ca.pem",
        directory / "server.pem",
        directory / "server-key.pem",
    )
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_file, cert_file, key_file


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path == "/_localexa/health"
        payload = b'{"status": "ok"}' if ok else b'{"message": "no"}'
        self.send_response(200 if ok else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    ca_file, cert_file, key_file = make_ca_and_server(tmp_path_factory.mktemp("tls"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    # The handshake in the request's thread, not in accept(): a client that connects and never
    # shakes hands (one whose TLS setup broke) held serve_forever, and teardown waited forever.
    server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", ca_file
    server.shutdown()
    server.server_close()
    thread.join()


def test_ca_file_trusts_the_local_ca(https_server: tuple[str, Path]) -> None:
    url, ca_file = https_server
    with Client(base_url=url, ca_file=ca_file, max_retries=0) as client:
        assert client.admin.health() is True
    with Client(base_url=url, verify=str(ca_file), max_retries=0) as client:
        assert client.admin.health() is True


async def test_async_client_trusts_the_local_ca(https_server: tuple[str, Path]) -> None:
    url, ca_file = https_server
    async with AsyncClient(base_url=url, ca_file=ca_file, max_retries=0) as client:
        assert await client.admin.health() is True


#: An untrusted CA in words, with the fix: it was OpenSSL's "[SSL: CERTIFICATE_VERIFY_FAILED]
#: certificate verify failed: … (_ssl.c:1006)" (revB QA of 2026-12-06).
UNTRUSTED = (
    r"TLS certificate verify failed \(unable to get local issuer certificate\): this client "
    r"does not trust the server's CA; pass ca_file=<its ca\.pem> \(a localexa started with --tls: "
    r"<data dir>/tls/ca\.pem\)$"
)


def test_without_the_ca_the_certificate_is_refused(https_server: tuple[str, Path]) -> None:
    url, _ = https_server
    with (
        Client(base_url=url, max_retries=0) as client,
        pytest.raises(APIConnectionError, match=UNTRUSTED) as caught,
    ):
        client.admin.health()
    assert str(caught.value).startswith(f"Connection error: GET {url}/_localexa/health: ")
    assert "_ssl.c" not in str(caught.value)


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
@pytest.mark.parametrize("as_verify", [False, True], ids=["ca_file", "verify"])
def test_a_ca_file_that_cannot_be_trusted_is_a_configuration_error_naming_it(
    tmp_path: Path, client_class: Any, as_verify: bool
) -> None:
    """A missing file raised a bare `FileNotFoundError` and one holding no certificate
    `ssl.SSLError: [X509: NO_CERTIFICATE_OR_CRL_FOUND]`, neither naming the file (QA of 2026-12-06)."""
    no_certificate = tmp_path / "hostname"
    no_certificate.write_text("not a certificate\n")
    cases = ((tmp_path / "missing.pem", "No such file"), (no_certificate, "NO_CERTIFICATE"))
    for path, reason in cases:
        given = {"verify": str(path)} if as_verify else {"ca_file": path}
        with pytest.raises(ConfigurationError) as refused:
            client_class(base_url="https://127.0.0.1:9", **given)
        assert isinstance(refused.value, ValueError)
        assert str(refused.value).startswith(f"cannot trust {path} as a CA: "), str(refused.value)
        assert reason in str(refused.value)
    # "" was read by ssl as no file, and the system's CAs were trusted without a word.
    with pytest.raises(ConfigurationError, match="cannot trust '' as a CA: the path is empty"):
        client_class(base_url="https://127.0.0.1:9", **({"verify": ""} if as_verify else {"ca_file": ""}))


def test_a_bytes_path_trusts_the_ca_as_text_does(https_server: tuple[str, Path]) -> None:
    """`verify=b"…/ca.pem"` went to httpx as it was and the first call raised AttributeError
    (QA of 2026-12-06): a bytes path is a path like text, as `verify=` and as `ca_file=`."""
    url, ca_file = https_server
    with Client(base_url=url, verify=bytes(ca_file), max_retries=0) as client:
        assert client.admin.health() is True
    with Client(base_url=url, ca_file=bytes(ca_file), max_retries=0) as client:
        assert client.admin.health() is True


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_a_verify_or_ca_file_of_another_kind_is_a_configuration_error(
    tmp_path: Path, client_class: Any
) -> None:
    """Named as text (not `b'…'`); a value that is no path, bool or SSLContext is refused where it
    is given (an int went to httpx and failed at the first HTTPS call)."""
    missing = tmp_path / "missing.pem"
    with pytest.raises(ConfigurationError, match=re.escape(f"cannot trust {missing} as a CA: ")):
        client_class(base_url="https://127.0.0.1:9", verify=bytes(missing))
    with pytest.raises(ConfigurationError, match="cannot trust '' as a CA: the path is empty"):
        client_class(base_url="https://127.0.0.1:9", verify=b"")
    kinds = "True (or None: the same), False, the path of a CA file or an ssl.SSLContext"
    with pytest.raises(ConfigurationError, match=re.escape(f"verify must be {kinds}, not int")):
        client_class(base_url="https://127.0.0.1:9", verify=1)
    with pytest.raises(
        ConfigurationError, match=re.escape("ca_file must be a path (str, bytes or os.PathLike), not list")
    ):
        client_class(base_url="https://127.0.0.1:9", ca_file=["ca.pem"])


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_a_verify_that_conflicts_with_ca_file_is_a_configuration_error_naming_both(
    https_server: tuple[str, Path], client_class: Any
) -> None:
    """`ca_file=` made `verify=` ignored: `verify=False, ca_file=…` quietly checked certificates and
    `verify=3` went through (QA of 2026-12-06). Only True (the default) or None goes with it."""
    url, ca_file = https_server
    conflicting: list[tuple[Any, str]] = [
        (False, "verify=False and ca_file= conflict: "),
        (str(ca_file), "verify=<a CA file> and ca_file= conflict: "),
        (ssl.create_default_context(cafile=str(ca_file)), "verify=<ssl.SSLContext> and ca_file= conflict: "),
    ]
    for verify, start in conflicting:
        with pytest.raises(ConfigurationError) as refused:
            client_class(base_url=url, verify=verify, ca_file=ca_file)
        assert str(refused.value).startswith(start), str(refused.value)
        assert "verify= may only be True (the default) or None" in str(refused.value)
        assert str(ca_file) not in str(refused.value)
    with pytest.raises(ConfigurationError, match=r"verify must be .*, not int"):
        client_class(base_url=url, verify=3, ca_file=ca_file)


def test_verify_none_is_the_default_with_and_without_ca_file(https_server: tuple[str, Path]) -> None:
    url, ca_file = https_server
    for given in ({"verify": True}, {"verify": None}, {}):
        with Client(base_url=url, ca_file=ca_file, max_retries=0, **given) as client:
            assert client.admin.health() is True
    with (
        Client(base_url=url, verify=None, max_retries=0) as client,
        pytest.raises(APIConnectionError, match=UNTRUSTED),
    ):
        client.admin.health()


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_verify_or_ca_file_beside_http_client_is_a_configuration_error(
    https_server: tuple[str, Path], client_class: Any
) -> None:
    """`http_client=` is used as it is, so `verify=`, `ca_file=` and `transport=` beside it were
    ignored without a word: `verify=False` still checked certificates, `ca_file=` trusted nothing
    (QA of 2026-12-06)."""
    url, ca_file = https_server
    # Never opened: no connection to close (an AsyncClient's aclose would need a loop).
    own = httpx.AsyncClient() if client_class is AsyncClient else httpx.Client()
    conflicting: list[tuple[dict[str, Any], str]] = [
        ({"verify": False}, "http_client= and verify= conflict: "),
        ({"verify": str(ca_file)}, "http_client= and verify= conflict: "),
        ({"verify": ssl.create_default_context()}, "http_client= and verify= conflict: "),
        ({"ca_file": ca_file}, "http_client= and ca_file= conflict: "),
        ({"verify": False, "ca_file": ca_file}, "http_client= and verify= and ca_file= conflict: "),
        (
            {"transport": httpx.MockTransport(lambda request: httpx.Response(200))},
            "http_client= and transport= conflict: ",
        ),
        # timeout= was ignored too: timeout=1 still waited the httpx client's own (rev1 QA F2).
        ({"timeout": 1}, "http_client= and timeout= conflict: "),
        ({"timeout": None}, "http_client= and timeout= conflict: "),
        ({"timeout": httpx.Timeout(30.0, connect=10.0)}, "http_client= and timeout= conflict: "),
        ({"verify": False, "timeout": 5}, "http_client= and verify= and timeout= conflict: "),
    ]
    for given, start in conflicting:
        with pytest.raises(ConfigurationError) as refused:
            client_class(base_url=url, http_client=own, **given)
        assert str(refused.value).startswith(start), str(refused.value)
        assert "set them on the httpx client you pass" in str(refused.value)
        # The class the caller passes (the AsyncClient's message named httpx.Client; rev3 QA).
        httpx_class = "httpx.AsyncClient(" if client_class is AsyncClient else "httpx.Client("
        assert httpx_class in str(refused.value), str(refused.value)
        assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_timeout_left_out_beside_http_client_is_taken(client_class: Any) -> None:
    """The default is no conflict, nor the default's own object passed back (`DEFAULT_TIMEOUT`)."""
    own = httpx.AsyncClient() if client_class is AsyncClient else httpx.Client()
    for given in ({}, {"timeout": DEFAULT_TIMEOUT}):
        client = client_class(base_url="http://127.0.0.1:9", http_client=own, **given)
        assert client._http is own


def test_http_client_trusts_what_it_was_given(https_server: tuple[str, Path]) -> None:
    url, ca_file = https_server
    with httpx.Client(verify=ssl.create_default_context(cafile=str(ca_file))) as own:
        for given in ({"verify": True}, {"verify": None}, {}):
            with Client(base_url=url, http_client=own, max_retries=0, **given) as client:
                assert client.admin.health() is True
    with (
        httpx.Client() as own,
        Client(base_url=url, http_client=own, max_retries=0) as client,
        pytest.raises(APIConnectionError, match=UNTRUSTED),
    ):
        client.admin.health()
