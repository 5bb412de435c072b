"""An alert's identity is its label set; the fingerprint is a stable hash of it. Pure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

_SEP = b"\xff"  # cannot occur in UTF-8 text, so ("a", "bc") and ("ab", "c") differ


def fingerprint(labels: Mapping[str, str]) -> str:
    """16 hex digits (64 bits, like Alertmanager's), independent of label order."""
    digest = hashlib.blake2b(digest_size=8)
    for name in sorted(labels):
        digest.update(name.encode())
        digest.update(_SEP)
        digest.update(labels[name].encode())
        digest.update(_SEP)
    return digest.hexdigest()
