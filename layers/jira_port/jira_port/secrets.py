"""Secrets Manager access through Powertools Parameters (cached, re-readable on rotation).

Powertools Parameters (and boto3 with it) is imported on the first read, so a configuration without a
secret ARN never loads it.
"""

from __future__ import annotations

from typing import Any

from jira_port.errors import ConfigError

DEFAULT_MAX_AGE_SECONDS = 300


def get_secret_json(secret_id: str, *, force_fetch: bool = False) -> dict[str, Any]:
    """Return the JSON object stored in ``secret_id`` (cached for 5 minutes).

    ``force_fetch=True`` bypasses the cache: call it once after the credentials in the cached copy
    were rejected, so a rotated secret works without a redeploy. Messages never include the value.
    """
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415 - only when a secret is used

    try:
        value = parameters.get_secret(
            secret_id, transform="json", max_age=DEFAULT_MAX_AGE_SECONDS, force_fetch=force_fetch
        )
    except parameters.exceptions.TransformParameterError:
        raise ConfigError(f"secret {secret_id} does not hold valid JSON") from None
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigError(f"cannot read secret {secret_id}: {type(exc.__cause__ or exc).__name__}") from None
    if not isinstance(value, dict):
        raise ConfigError(f"secret {secret_id} must hold a JSON object")
    return value


def get_secret_string(secret_id: str, *, force_fetch: bool = False) -> str:
    """Return a plain-string secret (e.g. the webhook secret), cached like ``get_secret_json``."""
    from aws_lambda_powertools.utilities import parameters  # noqa: PLC0415

    try:
        value: object = parameters.get_secret(
            secret_id, max_age=DEFAULT_MAX_AGE_SECONDS, force_fetch=force_fetch
        )
    except parameters.exceptions.GetParameterError as exc:
        raise ConfigError(f"cannot read secret {secret_id}: {type(exc.__cause__ or exc).__name__}") from None
    if isinstance(value, bytes):
        value = value.decode()
    if not isinstance(value, str) or not value:
        raise ConfigError(f"secret {secret_id} is empty")
    return value
