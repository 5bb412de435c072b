"""Runbook header secrets, encrypted at rest (Fernet, a key derived from the server's
secret key) so the database never holds them in clear. Pure apart from the cipher."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

REDACTED = "***"


def _fernet(server_secret: str) -> Fernet:
    digest = hashlib.sha256(b"sentinel-runbook-secrets\x00" + server_secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(server_secret: str, value: str) -> str:
    return _fernet(server_secret).encrypt(value.encode()).decode()


def unseal(server_secret: str, token: str) -> str:
    """The clear value; a ValueError when the server secret changed since it was sealed."""
    try:
        return _fernet(server_secret).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "a runbook secret cannot be decrypted (the server secret key changed): "
            "set the step's secret headers again"
        ) from None


def scrub(text: str, secrets: list[str]) -> str:
    """Remove secret values from text shown back (e.g. a response that echoes them)."""
    for value in secrets:
        if value:
            text = text.replace(value, REDACTED)
    return text
