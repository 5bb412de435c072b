"""Pure pieces of the foundation: cursors, backoff, roles, secrets, bounded gunzip."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sentinel.api.errors import BadRequest
from sentinel.api.middleware import BodyRejected, gunzip_bounded
from sentinel.api.pagination import decode_cursor, encode_cursor
from sentinel.auth.roles import (
    Permission,
    Role,
    Scope,
    permissions_for_role,
    permissions_for_scopes,
)
from sentinel.auth.secrets import (
    InvalidToken,
    api_key_matches,
    hash_password,
    issue_token,
    new_api_key,
    read_token,
    verify_password,
)
from sentinel.worker.backoff import retry_delay

SECRET = "unit-test-secret-unit-test-secret-0123"
keys = st.one_of(st.integers(), st.text(max_size=20), st.floats(allow_nan=False))


@given(st.lists(keys, min_size=1, max_size=4))
def test_cursor_round_trips(values: list[object]) -> None:
    assert decode_cursor(encode_cursor(values), len(values)) == values


def test_foreign_cursor_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        decode_cursor(encode_cursor([1, 2]), 1)


@given(st.integers(min_value=1, max_value=200))
def test_backoff_grows_and_stays_capped(attempt: int) -> None:
    delay = retry_delay(attempt)
    assert timedelta(seconds=5) <= delay <= timedelta(hours=1)
    assert retry_delay(attempt + 1) >= delay


def test_backoff_doubles_from_the_base() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay(3, jitter=0.5).total_seconds() == 10


def test_role_ladder() -> None:
    assert permissions_for_role(Role.VIEWER) == {Permission.READ}
    assert Permission.RESPOND in permissions_for_role(Role.RESPONDER)
    assert Permission.WRITE not in permissions_for_role(Role.RESPONDER)
    assert Permission.ADMIN not in permissions_for_role(Role.EDITOR)
    assert permissions_for_role(Role.ADMIN) == set(Permission)


def test_scopes_union() -> None:
    assert permissions_for_scopes((Scope.INGEST,)) == {Permission.INGEST}
    assert permissions_for_scopes((Scope.INGEST, Scope.READ)) == {
        Permission.INGEST,
        Permission.READ,
    }
    assert permissions_for_scopes(()) == frozenset()


def test_passwords_verify_only_themselves() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "correct horse!")
    assert not verify_password("not a hash", "x")


def test_api_keys_are_random_and_checked_by_digest() -> None:
    first, second = new_api_key(), new_api_key()
    assert first.key != second.key and first.key.startswith("snt_")
    assert first.key not in first.key_hash
    assert api_key_matches(first.key, first.key_hash)
    assert not api_key_matches(second.key, first.key_hash)


def test_tokens_expire_and_resist_tampering() -> None:
    token = issue_token(SECRET, 42, timedelta(minutes=5))
    assert read_token(SECRET, token) == 42
    with pytest.raises(InvalidToken):
        read_token(SECRET + "x", token)
    old = issue_token(SECRET, 42, timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InvalidToken, match="expired"):
        read_token(SECRET, old)


def test_gunzip_is_bounded() -> None:
    assert gunzip_bounded(gzip.compress(b"hello"), 10) == b"hello"
    with pytest.raises(BodyRejected) as too_big:
        gunzip_bounded(gzip.compress(b"a" * 11), 10)
    assert too_big.value.status == 413
    with pytest.raises(BodyRejected) as broken:
        gunzip_bounded(b"\x1f\x8b garbage", 10)
    assert broken.value.status == 400
