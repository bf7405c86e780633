"""The local CA and the server certificate (core/tls.py): names, file modes, reuse, renewal."""

from __future__ import annotations

import ipaddress
import os
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from localexa.server.core.tls import (
    SERVER_NAMES,
    SERVER_VALIDITY,
    TlsPaths,
    client_ssl_context,
    ensure_ca,
    ensure_server_certificate,
    fingerprint_sha256,
    outbound_trust_bundle,
)

AMAZON_HOSTS = [
    "www.amazon.com",
    "api.amazon.com",
    "api.amazonalexa.com",
    "api.eu.amazonalexa.com",
    "api.fe.amazonalexa.com",
    "api.fe.amazon.com",
    "credential-locker-service.amazon.com",
]


def load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def san(cert: x509.Certificate) -> x509.SubjectAlternativeName:
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_server_certificate_names_every_host(tmp_path: Path) -> None:
    paths = ensure_server_certificate(tmp_path / "tls")
    names = san(load(paths.cert_file))
    assert set(names.get_values_for_type(x509.DNSName)) == {"localhost", *AMAZON_HOSTS}
    assert set(names.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert set(SERVER_NAMES) == {"localhost", "127.0.0.1", "::1", *AMAZON_HOSTS}


def test_server_certificate_is_a_tls_server_certificate_signed_by_the_ca(tmp_path: Path) -> None:
    paths = ensure_server_certificate(tmp_path / "tls")
    cert, ca = load(paths.cert_file), load(paths.ca_file)
    cert.verify_directly_issued_by(ca)  # raises when another key signed it
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    # Apple refuses locally trusted server certificates valid for more than 825 days.
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= timedelta(days=825)


def test_ca_is_a_self_signed_ca_limited_to_signing_server_certificates(tmp_path: Path) -> None:
    paths = ensure_ca(tmp_path / "tls")
    ca = load(paths.ca_file)
    ca.verify_directly_issued_by(ca)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca
    assert constraints.value.path_length == 0
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert not paths.cert_file.exists()  # the CA alone needs no server certificate


def test_private_keys_are_owner_only_and_certificates_public(tmp_path: Path) -> None:
    old_umask = os.umask(0)  # even with a careless umask
    try:
        paths = ensure_server_certificate(tmp_path / "tls")
    finally:
        os.umask(old_umask)
    assert mode(paths.ca_key_file) == 0o600
    assert mode(paths.key_file) == 0o600
    assert mode(paths.ca_file) == 0o644
    assert mode(paths.cert_file) == 0o644


def test_loosened_key_modes_are_tightened_on_reuse(tmp_path: Path) -> None:
    paths = ensure_server_certificate(tmp_path / "tls")
    paths.ca_key_file.chmod(0o644)
    paths.key_file.chmod(0o640)
    ensure_server_certificate(tmp_path / "tls")
    assert mode(paths.ca_key_file) == 0o600
    assert mode(paths.key_file) == 0o600


def test_existing_ca_and_certificate_are_reused_across_runs(tmp_path: Path) -> None:
    first = ensure_server_certificate(tmp_path / "tls")
    ca_pem, cert_pem, key_pem = (
        first.ca_file.read_bytes(),
        first.cert_file.read_bytes(),
        first.key_file.read_bytes(),
    )
    second = ensure_server_certificate(tmp_path / "tls")
    assert second.ca_file.read_bytes() == ca_pem
    assert second.cert_file.read_bytes() == cert_pem
    assert second.key_file.read_bytes() == key_pem
    ensure_ca(tmp_path / "tls")
    assert first.ca_file.read_bytes() == ca_pem


def test_certificate_near_expiry_is_renewed_under_the_same_ca(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    # Issued 387 days ago: 10 days are left, fewer than the 30 that trigger renewal.
    old = ensure_server_certificate(tmp_path / "tls", now=now - SERVER_VALIDITY + timedelta(days=10))
    old_cert = load(old.cert_file)
    ca_fingerprint = fingerprint_sha256(old.ca_file)
    new = ensure_server_certificate(tmp_path / "tls", now=now)
    new_cert = load(new.cert_file)
    assert new_cert.serial_number != old_cert.serial_number
    assert new_cert.not_valid_after_utc > now + timedelta(days=300)
    assert fingerprint_sha256(new.ca_file) == ca_fingerprint
    new_cert.verify_directly_issued_by(load(new.ca_file))


def test_certificate_with_more_than_30_days_left_is_kept(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = ensure_server_certificate(tmp_path / "tls", now=now - SERVER_VALIDITY + timedelta(days=31))
    serial = load(old.cert_file).serial_number
    assert load(ensure_server_certificate(tmp_path / "tls", now=now).cert_file).serial_number == serial


def test_ca_change_renews_the_server_certificate(tmp_path: Path) -> None:
    paths = ensure_server_certificate(tmp_path / "tls")
    old_serial = load(paths.cert_file).serial_number
    paths.ca_key_file.unlink()  # a CA without its key cannot sign: a new CA is made
    ensure_server_certificate(tmp_path / "tls")
    cert, ca = load(paths.cert_file), load(paths.ca_file)
    assert cert.serial_number != old_serial
    cert.verify_directly_issued_by(ca)


def test_missing_name_renews_and_a_superset_is_kept(tmp_path: Path) -> None:
    paths = ensure_server_certificate(tmp_path / "tls")
    ensure_server_certificate(tmp_path / "tls", names=["192.168.1.20", "Box.Local"])
    cert = load(paths.cert_file)
    assert ipaddress.ip_address("192.168.1.20") in san(cert).get_values_for_type(x509.IPAddress)
    assert "box.local" in san(cert).get_values_for_type(x509.DNSName)
    ensure_server_certificate(tmp_path / "tls")  # fewer names wanted: the wider one still fits
    assert load(paths.cert_file).serial_number == cert.serial_number


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param("other-key", id="key-does-not-match"),
        pytest.param("garbage", id="unreadable-certificate"),
    ],
)
def test_damaged_server_pair_is_replaced(tmp_path: Path, damage: str) -> None:
    paths = ensure_server_certificate(tmp_path / "tls")
    old_serial = load(paths.cert_file).serial_number
    if damage == "other-key":
        other = ec.generate_private_key(ec.SECP256R1())
        paths.key_file.write_bytes(
            other.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    else:
        paths.cert_file.write_text("not a certificate")
    ensure_server_certificate(tmp_path / "tls")
    cert = load(paths.cert_file)
    assert cert.serial_number != old_serial
    key = serialization.load_pem_private_key(paths.key_file.read_bytes(), password=None)
    assert key.public_key() == cert.public_key()


def test_ca_near_expiry_is_replaced(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    old = ensure_ca(tmp_path / "tls", now=now - timedelta(days=3650 - 5))
    old_fingerprint = fingerprint_sha256(old.ca_file)
    assert fingerprint_sha256(ensure_ca(tmp_path / "tls", now=now).ca_file) != old_fingerprint


def test_client_ssl_context_trusts_only_the_ca(tmp_path: Path) -> None:
    context = client_ssl_context(tmp_path)  # creates the CA when missing
    ca = load(TlsPaths(tmp_path / "tls").ca_file)
    assert context.get_ca_certs(binary_form=True) == [ca.public_bytes(serialization.Encoding.DER)]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_outbound_bundle_holds_the_user_ca_then_ours(tmp_path: Path) -> None:
    user_ca = ensure_ca(tmp_path / "user").ca_file
    bundle = outbound_trust_bundle(tmp_path / "tls", user_ca)
    text = bundle.read_text()
    assert text.count("BEGIN CERTIFICATE") == 2
    assert user_ca.read_text().strip() in text
    assert (tmp_path / "tls" / "ca.pem").read_text().strip() in text
    # Preparing the settings twice hands the bundle back: it must not nest or lose a CA.
    assert outbound_trust_bundle(tmp_path / "tls", bundle).read_text() == text
    alone = outbound_trust_bundle(tmp_path / "tls", None).read_text()
    assert alone.count("BEGIN CERTIFICATE") == 1
