"""Who may deliver webhooks: the configured secret (with rotation) and the optional URL token.

The secret behind ``WEBHOOK_SECRET_ARN`` is either the plain signing key, or a JSON object
``{"secret": "...", "previousSecret": "...", "token": "..."}``: ``previousSecret`` keeps deliveries
signed with the old key valid while Jira's webhook is switched over, ``token`` is the URL token for
Data Center before 10. Without a configured token, the URL token is derived from the secret
(``url_token``) and never equals it: a URL ends up in access logs and in Jira's admin screens, and
must not give away the signing key. When a signature fails against the cached secret, the secret is
re-read once (at most every ``WEBHOOK_SECRET_REFRESH_SECONDS``) before the delivery is rejected, so
a rotation needs no redeploy. ``parse_webhook_secret`` reads that value; ``jira-port
register-webhook`` uses it too, so Jira signs with exactly the key the webhook function verifies.

Signatures (``verify_signature``): Jira signs the exact raw body: ``X-Hub-Signature: sha256=<hex
HMAC-SHA256(secret, body)>``. Verification runs over the bytes as received (base64-decoded when API Gateway
encoded them), never over re-serialised JSON, and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from jira_port.errors import ConfigError
from jira_port.observability import logger
from jira_port.secrets import DEFAULT_MAX_AGE_SECONDS, get_secret_string
from jira_port.settings.live import WebhookSettings

SecretReader = Callable[..., str]
#: The message the default URL token is the HMAC-SHA256 (hex) of, keyed with the webhook secret.
URL_TOKEN_LABEL = b"jira-port-url-token"


@dataclass(frozen=True, slots=True)
class WebhookSecret:
    """The parsed webhook secret: the current signing key, the previous one and the URL token (if set)."""

    secret: str
    previous: str | None = None
    token: str | None = None

    def __repr__(self) -> str:
        return "WebhookSecret(<redacted>)"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The keys a delivery may prove itself with; ``secrets`` holds the current key first."""

    secrets: tuple[bytes, ...]
    token: bytes | None


@dataclass(frozen=True, slots=True)
class AuthResult:
    """The verdict on one delivery. ``method`` is ``signature``, ``token`` or ``none`` (unauthenticated)."""

    accepted: bool
    method: str
    reason: str | None = None


class WebhookAuthenticator:
    """Checks deliveries against the configured secret and token; thread-safe."""

    def __init__(
        self,
        settings: WebhookSettings,
        *,
        read_secret: SecretReader = get_secret_string,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._read_secret = read_secret
        self._clock = clock
        self._lock = threading.Lock()
        self._cached: Credentials | None = None
        self._raw: str | None = None
        self._read_at = 0.0
        self._last_refresh: float | None = None
        self._warned_unauthenticated = False

    def authenticate(self, body: bytes, signature: str | None, token: str | None) -> AuthResult:
        """Accept a delivery with a valid signature or token; without any configured key, accept all."""
        credentials = self._credentials(force=False)
        if not credentials.secrets and credentials.token is None:
            self._warn_unauthenticated()
            return AuthResult(True, "none")
        result = _check(credentials, body, signature, token)
        if not result.accepted and self._may_refresh():
            refreshed = self._credentials(force=True)
            if refreshed != credentials:
                logger.info("webhook secret changed in Secrets Manager; verifying with the new value")
                result = _check(refreshed, body, signature, token)
        return result

    def _credentials(self, *, force: bool) -> Credentials:
        with self._lock:
            arn = self._settings.webhook_secret_arn
            if arn:
                # Held as long as Parameters caches it (5 minutes), so a warm delivery reads nothing.
                fresh = self._clock() - self._read_at < DEFAULT_MAX_AGE_SECONDS
                if not force and self._cached is not None and fresh:
                    return self._cached
                raw = self._read_secret(arn, force_fetch=force)
                self._read_at = self._clock()
                if self._cached is None or raw != self._raw:
                    self._raw = raw
                    self._cached = self._from_secret(raw, arn)
                return self._cached
            if self._cached is None:
                inline = self._settings.webhook_secret
                secret = inline.get_secret_value().encode() if inline is not None else b""
                self._cached = Credentials((secret,) if secret else (), self._configured_token(secret))
            return self._cached

    def _from_secret(self, raw: str, arn: str) -> Credentials:
        parsed = parse_webhook_secret(raw, arn)
        secrets = tuple(s.encode() for s in (parsed.secret, parsed.previous) if s)
        explicit = parsed.token.encode() if parsed.token else None
        return Credentials(secrets, self._configured_token(parsed.secret.encode(), explicit))

    def _configured_token(self, secret: bytes, from_secret: bytes | None = None) -> bytes | None:
        if self._settings.require_signature:
            return None
        if self._settings.webhook_token is not None:
            value = self._settings.webhook_token.get_secret_value().encode()
            return value or None
        return from_secret or (url_token(secret).encode() if secret else None)

    def _may_refresh(self) -> bool:
        if not self._settings.webhook_secret_arn:
            return False
        with self._lock:
            now = self._clock()
            if (
                self._last_refresh is not None
                and now - self._last_refresh < self._settings.secret_refresh_seconds
            ):
                return False
            self._last_refresh = now
            return True

    def _warn_unauthenticated(self) -> None:
        if not self._warned_unauthenticated:
            self._warned_unauthenticated = True
            logger.warning(
                "no webhook secret configured: deliveries are accepted without authentication "
                "(set WEBHOOK_SECRET_ARN or WEBHOOK_SECRET, and WEBHOOK_REQUIRE_SIGNATURE=true)"
            )


def url_token(secret: bytes) -> str:
    """The default URL token for ``secret``: ``HMAC-SHA256(secret, "jira-port-url-token")`` in hex
    (``printf jira-port-url-token | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET"``)."""
    return hmac.new(secret, URL_TOKEN_LABEL, hashlib.sha256).hexdigest()


def _check(credentials: Credentials, body: bytes, signature: str | None, token: str | None) -> AuthResult:
    if signature is not None and credentials.secrets:
        if verify_signature(body, signature, credentials.secrets):
            return AuthResult(True, "signature")
        return AuthResult(False, "signature", "invalid signature")
    if token is not None and credentials.token is not None:
        if verify_token(token, credentials.token):
            return AuthResult(True, "token")
        return AuthResult(False, "token", "invalid token")
    if credentials.secrets:
        return AuthResult(False, "signature", "missing signature")
    return AuthResult(False, "token", "missing token")


def parse_webhook_secret(raw: str, source: str) -> WebhookSecret:
    """Parse a webhook secret value: a plain string (the signing key; may be empty) or the JSON object
    ``{"secret": ..., "previousSecret"?: ..., "token"?: ...}``. ``source`` (e.g. the secret's ARN) names
    it in the ``ConfigError`` a malformed value raises; the value itself is never echoed."""
    text = raw.strip()
    if not text.startswith("{"):
        return WebhookSecret(text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise ConfigError(f"secret {source} looks like JSON but does not parse") from None
    if not isinstance(data, dict):
        raise ConfigError(f"secret {source} must be a string or a JSON object")
    values: list[str | None] = []
    for key in ("secret", "previousSecret", "token"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"secret {source}: {key} must be a string")
        values.append(value or None)
    secret, previous, token = values
    if secret is None:
        raise ConfigError(f'secret {source}: the JSON form needs a non-empty "secret" key')
    return WebhookSecret(secret, previous, token)


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
