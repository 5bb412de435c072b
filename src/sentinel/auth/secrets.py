"""Passwords (argon2), API keys (random, stored as SHA-256) and JWT sessions."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
API_KEY_PREFIX = "snt_"
_PREFIX_LENGTH = 12  # "snt_" and 8 characters: enough to find the row, useless to an attacker


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class NewApiKey:
    key: str
    prefix: str
    key_hash: str


def digest_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_key_prefix(key: str) -> str:
    return key[:_PREFIX_LENGTH]


def looks_like_api_key(token: str) -> bool:
    return token.startswith(API_KEY_PREFIX) and len(token) > _PREFIX_LENGTH


def new_api_key(preset: str | None = None) -> NewApiKey:
    """A fresh key (or the operator's preset one) with the parts that are stored."""
    key = preset or API_KEY_PREFIX + secrets.token_urlsafe(32)
    return NewApiKey(key=key, prefix=api_key_prefix(key), key_hash=digest_api_key(key))


def api_key_matches(key: str, key_hash: str) -> bool:
    return hmac.compare_digest(digest_api_key(key), key_hash)


def issue_token(secret: str, user_id: int, ttl: timedelta, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + ttl, "typ": "session"}
    return jwt.encode(claims, secret, algorithm="HS256")


class InvalidToken(Exception):
    pass


def read_token(secret: str, token: str) -> int:
    """The user id of a valid session token; InvalidToken with the reason otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The session has expired; log in again.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The token is not valid.") from exc
    if claims.get("typ") != "session" or not str(claims["sub"]).isdigit():
        raise InvalidToken("The token is not valid.")
    return int(claims["sub"])
