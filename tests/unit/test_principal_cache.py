"""The principal cache: hits within the TTL, misses after it, never keeps the credential."""

from __future__ import annotations

from sentinel.auth.cache import PrincipalCache
from sentinel.auth.roles import Permission, Principal

READER = Principal(kind="api_key", id=1, name="key:ci", permissions=frozenset({Permission.READ}))


def test_hit_until_the_ttl_then_miss() -> None:
    now = [100.0]
    cache = PrincipalCache(ttl_seconds=10, clock=lambda: now[0])
    cache.put("snt_secret", READER)
    now[0] = 109.9
    assert cache.get("snt_secret") == READER
    now[0] = 110.0
    assert cache.get("snt_secret") is None


def test_credentials_are_not_kept_verbatim() -> None:
    cache = PrincipalCache()
    cache.put("snt_secret", READER)
    assert all("snt_secret" not in key for key in cache._entries)


def test_clear_and_bounded_size() -> None:
    cache = PrincipalCache(max_entries=2)
    cache.put("a", READER)
    cache.put("b", READER)
    cache.put("c", READER)
    assert cache.get("c") == READER and cache.get("a") is None
    cache.clear()
    assert cache.get("c") is None


def test_zero_ttl_disables_caching() -> None:
    cache = PrincipalCache(ttl_seconds=0)
    cache.put("a", READER)
    assert cache.get("a") is None
