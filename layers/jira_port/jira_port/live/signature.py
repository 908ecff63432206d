"""Webhook authenticity: Jira's ``X-Hub-Signature`` HMAC, and a URL token for Data Center before 10.

Jira signs the exact raw body: ``X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>``. Verification
runs over the bytes as received (base64-decoded when API Gateway encoded them), never over re-serialised
JSON, and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

SIGNATURE_HEADER = "x-hub-signature"
SIGNATURE_METHOD = "sha256"


def compute_signature(secret: str | bytes, body: bytes) -> str:
    """The ``X-Hub-Signature`` value Jira sends for ``body`` signed with ``secret``."""
    key = secret.encode() if isinstance(secret, str) else secret
    return f"{SIGNATURE_METHOD}={hmac.new(key, body, hashlib.sha256).hexdigest()}"


def parse_signature(header: str) -> tuple[str, bytes] | None:
    """Split ``method=hex`` (WebSub form); ``None`` when the header is not of that form."""
    method, sep, digest = header.strip().partition("=")
    if not sep or not digest:
        return None
    return method.strip().lower(), digest.strip().lower().encode()


def verify_signature(body: bytes, header: str | None, secrets: Sequence[bytes]) -> bool:
    """True when ``header`` is a valid sha256 signature of ``body`` under any of ``secrets``.

    Empty secrets never verify (an HMAC under an empty key can be forged by anyone). Every secret is
    tried, so the answer takes the same time whichever one matches.
    """
    if header is None:
        return False
    parsed = parse_signature(header)
    if parsed is None or parsed[0] != SIGNATURE_METHOD:
        return False
    given = parsed[1]
    matched = False
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest().encode()
        matched |= hmac.compare_digest(expected, given)
    return matched


def verify_token(given: str | None, expected: bytes | None) -> bool:
    """Constant-time comparison of a URL token with the configured one (empty never matches)."""
    if given is None or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected)
