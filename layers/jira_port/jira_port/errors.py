"""Exception roots shared by the whole package, and the one notion of a transient failure.

A failure is *transient* when the same call may succeed later (a later SQS delivery, the next backfill
page or run): throttling, 5xx, a missing response, an AWS throttling or service error. Everything else
(4xx, bad configuration, bad data) is permanent. ``is_transient`` answers that for any exception, so
Jira, Port and AWS errors are judged the same way everywhere.
"""

from __future__ import annotations

import sys

# HTTP statuses worth trying again later.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# Pseudo status for "no HTTP response at all" (connection refused, timeout).
NO_RESPONSE = 0
# AWS error codes that mean "slow down" or "try again" (botocore's standard retry mode list, plus 5xx).
_TRANSIENT_AWS_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "KMSInternalException",
    }
)


class JiraPortError(Exception):
    """Base class of every error jira-port raises on purpose; ``transient`` says whether to try again."""

    transient = False


class ConfigError(JiraPortError):
    """Configuration (environment, secrets, mapping) is missing or invalid. Never retried."""


def is_transient_status(status: int) -> bool:
    """True for throttling, server errors and missing responses; other 4xx answers are permanent."""
    return status == NO_RESPONSE or status in TRANSIENT_STATUSES


def aws_error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str((response.get("Error") or {}).get("Code") or "")


def is_transient(exc: BaseException) -> bool:
    """Whether trying the failed call again later may succeed (Jira, Port, AWS and HTTP errors alike)."""
    if isinstance(exc, JiraPortError):
        return bool(exc.transient)
    # Modules are looked up, not imported: an exception of a library that was never loaded cannot occur.
    http = sys.modules.get("urllib3.exceptions")  # the HTTP library under both clients (and botocore)
    if http is not None and isinstance(exc, http.HTTPError):
        return True
    botocore_exceptions = sys.modules.get("botocore.exceptions")
    if botocore_exceptions is None:
        return False
    if isinstance(exc, botocore_exceptions.ClientError):
        status = int((exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
        return aws_error_code(exc) in _TRANSIENT_AWS_CODES or status >= 500
    # Connection failures and timeouts: no answer from AWS at all (not e.g. a parameter validation error).
    return isinstance(exc, botocore_exceptions.HTTPClientError | botocore_exceptions.ConnectionError)
