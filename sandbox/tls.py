"""TLS material for the sandbox: a private CA, a server certificate for 127.0.0.1/localhost, and a CA bundle.

Everything is generated once into ``STATE_DIR/tls/`` and reused on later starts, so clients that trusted the
bundle keep trusting the server across restarts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SYSTEM_CA_FILE = Path("/etc/ssl/certs/ca-certificates.crt")
VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True)
class TlsFiles:
    """Paths of the generated TLS files."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    ca_bundle: Path


def ensure_tls_files(state_dir: Path) -> TlsFiles:
    """Return the sandbox's TLS files under ``state_dir/tls``, creating them on first use."""
    tls_dir = Path(state_dir) / "tls"
    files = TlsFiles(
        ca_cert=tls_dir / "ca.pem",
        server_cert=tls_dir / "server.pem",
        server_key=tls_dir / "server-key.pem",
        ca_bundle=tls_dir / "ca-bundle.pem",
    )
    if not all(path.exists() for path in (files.ca_cert, files.server_cert, files.server_key)):
        tls_dir.mkdir(parents=True, exist_ok=True)
        _write_certificates(files)
    files.ca_bundle.write_bytes(_system_ca_bytes() + b"\n" + files.ca_cert.read_bytes())
    return files


def _write_certificates(files: TlsFiles) -> None:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Medallion Sandbox CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + VALIDITY)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.IPv4Address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.server_cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    key_bytes = server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(files.server_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as key_file:
        key_file.write(key_bytes)


def _system_ca_bytes() -> bytes:
    if SYSTEM_CA_FILE.exists():
        return SYSTEM_CA_FILE.read_bytes()
    import certifi

    return Path(certifi.where()).read_bytes()
